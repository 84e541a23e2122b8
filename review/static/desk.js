// The desk's only script (the Content-Security-Policy allows no inline script). Everything works without it;
// it adds: keyboard shortcuts (listed with "?", off per user), following a field to its source in the mail,
// reading a typed date back while typing, date pickers, and the queue's clickable rows and "select all".
(function () {
  "use strict";
  var body = document.body;
  var shortcutsOn = function () { return body.getAttribute("data-shortcuts") === "on"; };
  var byId = function (id) { return document.getElementById(id); };

  // --- shortcuts -------------------------------------------------------------------------------
  var help = byId("keys-help");
  var openHelp = function () { if (help && !help.open) { help.showModal(); } };
  document.querySelectorAll("[data-open-keys]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", openHelp);
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target || {};
    var tag = target.tagName || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable ||
        event.ctrlKey || event.metaKey || event.altKey || !shortcutsOn() || (help && help.open)) {
      return;
    }
    var go = function (id) { var link = byId(id); if (link) { window.location = link.href; } };
    if (event.key === "j") { go("next"); }
    else if (event.key === "k") { go("prev"); }
    else if (event.key === "a") {
      var approve = byId("approve");
      if (approve) {  // two keys, not one: "a" goes to the button, Enter approves
        event.preventDefault();
        approve.focus();
        var hint = byId("approve-hint");
        if (hint) { hint.textContent = "Tryk Enter for at godkende, Esc for at lade være."; }
      }
    }
    else if (event.key === "e") { var title = byId("f-title"); if (title) { event.preventDefault(); title.focus(); } }
    else if (event.key === "/") { var search = byId("q"); if (search) { event.preventDefault(); search.focus(); } }
    else if (event.key === "?") { event.preventDefault(); openHelp(); }
  });
  var approveButton = byId("approve");
  if (approveButton) {
    approveButton.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { approveButton.blur(); var hint = byId("approve-hint"); if (hint) { hint.textContent = ""; } }
    });
  }

  // --- the queue -------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, input, button, label")) { window.location = row.getAttribute("data-href"); }
  });
  var all = byId("select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }

  // --- a field and its source in the mail ------------------------------------------------------
  var showSource = function (name, scroll) {
    var text = byId("mailtext");
    if (!text) { return; }
    text.querySelectorAll("mark.current").forEach(function (m) { m.classList.remove("current"); });
    var marks = text.querySelectorAll("mark[data-fields~='" + name + "']");
    marks.forEach(function (m) { m.classList.add("current"); });
    if (marks.length && scroll) {
      var mark = marks[0];
      // scroll the mail's own box to the mark, and the page only as far as needed to see it
      text.scrollTop = Math.max(0, mark.offsetTop - text.offsetTop - text.clientHeight / 3);
      mark.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  };
  document.querySelectorAll("#draft-form [data-field]").forEach(function (input) {
    if (input.tagName !== "INPUT") { return; }
    input.addEventListener("focus", function () { showSource(input.getAttribute("data-field"), true); });
  });
  document.querySelectorAll("a.to-source").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      showSource(link.getAttribute("data-field"), true);
    });
  });

  // --- typed dates read back, date pickers -----------------------------------------------------
  document.querySelectorAll("input.when[data-read]").forEach(function (input) {
    var out = byId(input.id + "-read");
    var timer = null;
    var read = function () {
      if (!out) { return; }
      if (!input.value.trim()) { out.textContent = ""; out.classList.remove("error"); return; }
      fetch(input.getAttribute("data-read") + "&text=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          out.textContent = data.error || data.shown;
          out.classList.toggle("error", !!data.error);
        })
        .catch(function () { /* offline: the server reads it on save */ });
    };
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(read, 300); });
  });
  document.querySelectorAll("input.picker[data-for]").forEach(function (picker) {
    var field = byId(picker.getAttribute("data-for"));
    if (!field) { return; }
    picker.hidden = false;
    picker.addEventListener("change", function () {
      var parts = picker.value.split("-");  // the picker's yyyy-mm-dd
      if (parts.length !== 3) { return; }
      var time = (field.value.match(/kl\.?\s*[\d.:\-–]+/) || [""])[0];
      field.value = parts[2] + "." + parts[1] + "." + parts[0] + (time ? " " + time : "");
      field.dispatchEvent(new Event("input"));
    });
  });

  // --- an edit conflict: take the other person's value into a field ----------------------------
  document.querySelectorAll("button.use-theirs").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = byId(button.getAttribute("data-for"));
      if (field) { field.value = button.getAttribute("data-value"); field.focus(); }
    });
  });
})();
