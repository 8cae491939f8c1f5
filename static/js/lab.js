// The lab's forms, enhanced: a live time estimate, a warning for a rank used twice, and a
// progress line (elapsed seconds against the estimate) while the server runs the models.
// Without this file the forms post and the results page renders all the same.
(function () {
  "use strict";

  function seconds(value) {
    if (value < 1) return "under a second";
    if (value < 90) return "about " + Math.round(value) + " s";
    return "about " + (value / 60).toFixed(1) + " min";
  }

  // GFLOP of one pass at n tokens, interpolated between the sweep lengths the server costed.
  function gflopAt(lengths, values, n) {
    if (n <= lengths[0]) return values[0] * n / lengths[0];
    for (var i = 1; i < lengths.length; i++) {
      if (n <= lengths[i]) {
        var t = (n - lengths[i - 1]) / (lengths[i] - lengths[i - 1]);
        return values[i - 1] + t * (values[i] - values[i - 1]);
      }
    }
    return values[values.length - 1] * n / lengths[lengths.length - 1];
  }

  function intValue(input, fallback) {
    var value = input ? parseInt(input.value, 10) : NaN;
    return isNaN(value) || value < 1 ? fallback : value;
  }

  function chosenVariants(form) {
    var names = ["bert"];
    form.querySelectorAll('input[name="variants"]:checked').forEach(function (box) {
      if (names.indexOf(box.value) < 0) names.push(box.value);
    });
    return names;
  }

  function lengthsOf(form) {
    if (form.hasAttribute("data-sweep")) {
      var lengths = [];
      form.querySelectorAll('input[name="lengths"]:checked').forEach(function (box) {
        lengths.push(parseInt(box.value, 10));
      });
      return lengths;
    }
    var byLength = form.querySelector('input[name="source"][value="length"]');
    if (byLength && byLength.checked) return [Math.min(512, intValue(form.querySelector('[name="seq_len"]'), 64))];
    var text = form.querySelector('[name="text"]');
    var words = text && text.value.trim() ? text.value.trim().split(/\s+/).length : 0;
    return [Math.min(512, Math.floor(words * 4 / 3) + 2)];
  }

  function estimate(form, work) {
    var preset = form.querySelector('[name="preset"]');
    var table = work.gflop[preset ? preset.value : "tiny"];
    if (!table) return null;
    var runs = intValue(form.querySelector('[name="runs"]'), 1);
    var total = 0;
    chosenVariants(form).forEach(function (name) {
      if (!table[name]) return;
      lengthsOf(form).forEach(function (n) { total += gflopAt(work.lengths, table[name], n); });
    });
    return total * (runs * work.passes_per_run + work.passes_extra) / work.rate;
  }

  function enhanceEstimate(form) {
    var work;
    try { work = JSON.parse(form.getAttribute("data-work")); } catch (e) { return; }
    var line = form.querySelector("[data-estimate-text]");
    function update() {
      var value = estimate(form, work);
      if (value === null) return;
      form.setAttribute("data-estimate", value.toFixed(2));
      if (line) line.textContent = "Estimated: " + seconds(value) + " at " + work.rate + " GFLOP/s.";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }

  function enhanceSource(form) {
    var fields = form.querySelectorAll("[data-for-source]");
    function dim() {
      var chosen = form.querySelector('input[name="source"]:checked');
      fields.forEach(function (field) {
        var active = !chosen || field.getAttribute("data-for-source") === chosen.value;
        if (active) field.removeAttribute("data-inactive"); else field.setAttribute("data-inactive", "");
      });
    }
    form.querySelectorAll('input[name="source"]').forEach(function (radio) { radio.addEventListener("change", dim); });
    dim();
    fields.forEach(function (field) {
      field.addEventListener("focus", function () {
        var radio = form.querySelector('input[name="source"][value="' + field.getAttribute("data-for-source") + '"]');
        if (radio && !radio.disabled && !radio.checked) {
          radio.checked = true;
          radio.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  }

  function enhanceRanks(form) {
    var selects = form.querySelectorAll("[data-rank]");
    var warning = form.querySelector("[data-rank-warning]");
    if (!selects.length || !warning) return;
    function check() {
      var seen = {};
      selects.forEach(function (select) {
        if (select.value) (seen[select.value] = seen[select.value] || []).push(select);
      });
      var twice = [];
      selects.forEach(function (select) { select.removeAttribute("aria-invalid"); });
      Object.keys(seen).forEach(function (rank) {
        if (seen[rank].length > 1) {
          twice.push(rank);
          seen[rank].forEach(function (select) { select.setAttribute("aria-invalid", "true"); });
        }
      });
      warning.hidden = twice.length === 0;
      warning.textContent = twice.length ? "Rank " + twice.join(" and ") + " is used twice: give each rank to one model." : "";
    }
    selects.forEach(function (select) { select.addEventListener("change", check); });
  }

  function enhanceSubmit(form) {
    var button = form.querySelector("[data-run]");
    var progress = form.querySelector("[data-progress]");
    var bar = form.querySelector("[data-progress-bar]");
    var text = form.querySelector("[data-progress-text]");
    var label = button ? button.textContent : "";
    var timer = null;
    form.addEventListener("submit", function () {
      var expected = parseFloat(form.getAttribute("data-estimate")) || 1;
      var models = chosenVariants(form).length;
      var started = Date.now();
      // Disabled after the submission has been collected, so the request itself is unaffected.
      window.setTimeout(function () {
        if (button) { button.disabled = true; button.textContent = "Running…"; }
      }, 0);
      if (!progress) return;
      progress.hidden = false;
      function tick() {
        var elapsed = (Date.now() - started) / 1000;
        var head = "Running " + models + " model" + (models === 1 ? "" : "s") + " on the server: " + Math.floor(elapsed) + " s";
        if (elapsed <= expected) {
          bar.max = expected;
          bar.value = elapsed;
          text.textContent = head + " of " + seconds(expected) + ".";
        } else {
          bar.removeAttribute("value");
          text.textContent = head + ", longer than the estimate (a busy server, or models being built).";
        }
      }
      tick();
      timer = window.setInterval(tick, 250);
    });
    // Back from the results page (bfcache): the form is usable again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      if (timer) window.clearInterval(timer);
      if (button) { button.disabled = false; button.textContent = label; }
      if (progress) progress.hidden = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-lab-form]").forEach(function (form) {
      enhanceEstimate(form);
      enhanceSource(form);
      enhanceRanks(form);
      enhanceSubmit(form);
    });
  });
})();
