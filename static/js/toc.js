// Lesson pages. Without this file the table of contents and the "#" links beside headings are
// plain links; with it, the contents mark the section being read (aria-current="true") and a
// heading's "#" link also copies the section's address, saying "Link copied".
(function () {
  "use strict";
  var body = document.querySelector(".lesson-body");
  if (!body) return;

  // --- Scroll-spy: the current section is the last heading above a line near the top. ---
  var toc = document.querySelector(".toc nav");
  if (toc) {
    var links = {};
    toc.querySelectorAll('a[href^="#"]').forEach(function (a) {
      links[decodeURIComponent(a.hash.slice(1))] = a;
    });
    var headings = Array.prototype.filter.call(
      body.querySelectorAll("h2[id], h3[id]"),
      function (h) { return links[h.id]; }
    );
    var current = null;
    var mark = function (id) {
      if (id === current) return;
      if (current) links[current].removeAttribute("aria-current");
      if (id) links[id].setAttribute("aria-current", "true");
      current = id;
    };
    var pick = function () {
      var line = Math.min(window.innerHeight * 0.3, 220);
      var id = null;
      for (var i = 0; i < headings.length; i++) {
        var top = headings[i].getBoundingClientRect().top;
        if (top <= line) id = headings[i].id;
        // At the very end a short last section never reaches the line: take the last one shown.
        else if (atEnd() && top < window.innerHeight) id = headings[i].id;
        else break;
      }
      mark(id);
    };
    var atEnd = function () {
      return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
    };
    // One mechanism: any scroll or resize re-picks, at most once per frame (a pick reads a
    // few dozen heading positions). Observers would report crossings only, and miss a jump to
    // the end of the page that crosses nothing.
    var queued = false;
    var soon = function () {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(function () { queued = false; pick(); });
    };
    window.addEventListener("scroll", soon, { passive: true });
    window.addEventListener("resize", soon);
    window.addEventListener("hashchange", pick);
    pick();
  }

  // --- Copyable heading links: going there stays the link's own job. ---
  var note = null;
  var timer = 0;
  body.addEventListener("click", function (event) {
    var link = event.target.closest("a.heading-anchor");
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    var url = location.href.split("#")[0] + link.hash;
    navigator.clipboard.writeText(url).then(function () {
      if (!note) {
        note = document.createElement("span");
        note.className = "copy-note";
        note.setAttribute("role", "status");
      }
      link.after(note);
      note.textContent = "Link copied";
      clearTimeout(timer);
      timer = setTimeout(function () { note.textContent = ""; }, 2000);
    }, function () { /* no clipboard permission: the link still works */ });
  });
})();
