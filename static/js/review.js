// Review keys, as in Anki: Space shows the answer, 1-4 rate (Again, Hard, Good, Easy), Enter
// submits the answer being typed or picked (Ctrl+Enter in a text area, where Enter is a new
// line), and typing a number starts a numeric answer. Keys typed into a field stay the field's:
// only Enter (and Ctrl+Enter) is taken there.
// The page works without this file: "Show answer" is a link and every form has its button.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var card = document.querySelector("[data-review]");
    if (!card) return;
    var answer = card.querySelector("[data-answer]");
    var check = card.querySelector("[data-review-check]");
    var write = card.querySelector("[data-review-write]");

    function focusRating() {
      var button = answer && (answer.querySelector("[data-suggested]") || answer.querySelector('[data-rating="3"]'));
      if (button) button.focus({ preventScroll: true });
    }
    function reveal() {
      if (!answer || !answer.hidden) return;
      answer.hidden = false;
      card.querySelectorAll("[data-reveal-row], [data-review-check], [data-review-write], [data-check-hint]").forEach(function (el) { el.hidden = true; });
      focusRating();
    }
    function submit(form) {
      if (!form) return;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
    card.querySelectorAll("[data-reveal]").forEach(function (link) {
      link.addEventListener("click", function (event) { event.preventDefault(); reveal(); });
    });
    if (answer && !answer.hidden) focusRating();  // a checked answer: its suggested rating
    // Nothing takes the focus on load, so Space flips any card; typing a number starts the
    // answer (the key lands in the field it focuses).
    var number = check && check.querySelector("input[name=value]");

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.isComposing) return;
      var target = event.target || {};
      var tag = target.tagName;
      var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
      if (event.key === "Enter") {
        if (tag === "TEXTAREA") {
          if ((event.ctrlKey || event.metaKey) && write && write.contains(target)) { event.preventDefault(); submit(write); }
          return;
        }
        if (event.ctrlKey || event.metaKey || tag === "BUTTON" || tag === "A") return;  // they act on Enter themselves
        if (check && !check.hidden && (!typing || check.contains(target))) { event.preventDefault(); submit(check); }
        return;
      }
      if (event.ctrlKey || event.metaKey || typing) return;
      if (number && answer && answer.hidden && /^[0-9.\-]$/.test(event.key)) { number.focus(); return; }
      if (event.key === " " || event.code === "Space") {
        if (tag === "BUTTON" || (tag === "A" && !target.hasAttribute("data-reveal"))) return;
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
