// Theme: follow the system unless the reader chose one; the choice is kept in localStorage.
// Loaded (blocking) in <head> so the saved theme applies before the first paint.
(function () {
  "use strict";
  var KEY = "bertprep-theme";
  var root = document.documentElement;
  var media = window.matchMedia("(prefers-color-scheme: dark)");

  function saved() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function effective() {
    return root.dataset.theme || (media.matches ? "dark" : "light");
  }
  var choice = saved();
  if (choice === "dark" || choice === "light") root.dataset.theme = choice;

  function sync(button) {
    var dark = effective() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.querySelector(".theme-label").textContent = dark ? "Light mode" : "Dark mode";
    button.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    button.hidden = false;
    sync(button);
    button.addEventListener("click", function () {
      var next = effective() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: still switches */ }
      sync(button);
    });
    media.addEventListener("change", function () { sync(button); });
  });
})();
