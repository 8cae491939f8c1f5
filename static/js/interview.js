// The mock interview's clock. The server times every answer itself and says, in data-elapsed,
// how many seconds the question had been open when it sent the page; this only keeps the
// shown time ticking from there. Without JavaScript the page shows that time, unmoving.
(function () {
  "use strict";
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var shown = document.querySelector("[data-elapsed]");
    if (!shown) return;
    var base = parseInt(shown.getAttribute("data-elapsed"), 10) || 0;
    var loaded = Date.now();
    function tick() {
      shown.textContent = clock(base + Math.max(0, Math.floor((Date.now() - loaded) / 1000)));
    }
    tick();
    window.setInterval(tick, 1000);
  });
})();
