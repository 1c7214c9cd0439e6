/* Attendance checklist helpers: live counts, search by name, "not present only", "mark all present".
   Progressive enhancement: without this script the checklist is a plain form and the counts in the
   sticky bar are the ones the server rendered. Works on a checklist that htmx swaps in later. */
(function () {
  "use strict";

  function section() {
    return document.getElementById("attendance-checklist");
  }

  function statusOf(row) {
    var checked = row.querySelector('input[type="radio"][name^="att-"]:checked');
    return checked ? checked.value : "present";
  }

  function apply() {
    var root = section();
    if (!root) return;
    var tools = root.querySelector("[data-att-tools]");
    if (tools) tools.hidden = false;
    var search = root.querySelector("#att-search");
    var toggle = root.querySelector("#att-only-missing");
    var query = search ? search.value.trim().toLowerCase() : "";
    var onlyMissing = toggle ? toggle.getAttribute("aria-pressed") === "true" : false;
    var counts = { present: 0, absent: 0, leave: 0 };
    var shown = 0;
    root.querySelectorAll(".hf-att-row").forEach(function (row) {
      var status = statusOf(row);
      counts[status] = (counts[status] || 0) + 1;
      row.dataset.status = status;
      var name = (row.dataset.member || "").toLowerCase();
      var visible = (!query || name.indexOf(query) !== -1) && (!onlyMissing || status !== "present");
      row.hidden = !visible;
      if (visible) shown += 1;
    });
    var empty = root.querySelector("#att-no-match");
    if (empty) empty.hidden = shown > 0;
    document.querySelectorAll("[data-att-count]").forEach(function (el) {
      el.textContent = counts[el.dataset.attCount] || 0;
    });
  }

  function clearFilters() {
    var root = section();
    if (!root) return;
    var search = root.querySelector("#att-search");
    var toggle = root.querySelector("#att-only-missing");
    if (search) search.value = "";
    if (toggle) {
      toggle.setAttribute("aria-pressed", "false");
      toggle.classList.remove("active");
    }
    apply();
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "att-search") apply();
  });
  document.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("att-") === 0) apply();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target) return;
    if (target.id === "att-only-missing") {
      var pressed = target.getAttribute("aria-pressed") !== "true";
      target.setAttribute("aria-pressed", pressed ? "true" : "false");
      target.classList.toggle("active", pressed);
      apply();
    } else if (target.id === "att-all-present") {
      section().querySelectorAll(".hf-att-row").forEach(function (row) {
        if (statusOf(row) === "present") return;
        var present = row.querySelector('input[type="radio"][value="present"]');
        present.checked = true;
        // htmx listens for "change" on the row's button group and re-renders the row.
        present.dispatchEvent(new Event("change", { bubbles: true }));
      });
      apply();
    } else if (target.type === "submit" && section() && target.form && target.form.contains(section())) {
      // Every row must be visible before the browser checks the form (a hidden required reason
      // could not be focused) and before it is sent.
      clearFilters();
    }
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the search box filters; it must not submit the attendance.
    if (event.target.id === "att-search" && event.key === "Enter") event.preventDefault();
  });
  document.body.addEventListener("htmx:afterSettle", apply);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", apply);
  } else {
    apply();
  }
})();
