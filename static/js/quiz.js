// Order questions: move items with ↑/↓ buttons; the position selects (which work without
// JavaScript) are renumbered to match, so the form submits exactly what the learner sees.
(function () {
  "use strict";
  function renumber(list) {
    Array.prototype.forEach.call(list.children, function (item, index) {
      var select = item.querySelector("select");
      if (select) select.value = String(index + 1);
    });
  }
  function button(label, text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button button-small order-move";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-order-list]");
    if (!list) return;
    list.classList.add("is-enhanced");
    Array.prototype.forEach.call(list.children, function (item) {
      var text = item.querySelector(".order-text").textContent.trim();
      var up = button("Move up: " + text, "↑", function () {
        if (item.previousElementSibling) { list.insertBefore(item, item.previousElementSibling); renumber(list); up.focus(); }
      });
      var down = button("Move down: " + text, "↓", function () {
        if (item.nextElementSibling) { list.insertBefore(item.nextElementSibling, item); renumber(list); down.focus(); }
      });
      item.appendChild(up);
      item.appendChild(down);
    });
    renumber(list);
  });
})();
