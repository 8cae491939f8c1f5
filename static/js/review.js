// Review queue keys, as in Anki: Space shows the answer, 1-4 rate it (Again, Hard, Good, Easy).
// The page works without this file: "Show answer" is a link and the ratings are form buttons.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var card = document.querySelector("[data-review]");
    if (!card) return;
    var answer = card.querySelector("[data-answer]");
    var revealRow = card.querySelector("[data-reveal-row]");
    var revealLink = card.querySelector("[data-reveal]");

    function reveal() {
      if (!answer || !answer.hidden) return;
      answer.hidden = false;
      if (revealRow) revealRow.hidden = true;
      var write = card.querySelector("[data-review-write]");
      if (write) write.hidden = true;
      var good = answer.querySelector('[data-rating="3"]');
      if (good) good.focus();
    }
    if (revealLink) {
      revealLink.addEventListener("click", function (event) { event.preventDefault(); reveal(); });
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
      if (event.key === " " || event.code === "Space") {
        if (answer && answer.hidden) { event.preventDefault(); reveal(); }
        return;
      }
      if (/^[1-4]$/.test(event.key) && answer && !answer.hidden) {
        var button = answer.querySelector('[data-rating="' + event.key + '"]');
        if (button) { event.preventDefault(); button.click(); }
      }
    });
  });
})();
