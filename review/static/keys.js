// Keyboard shortcuts for long review sessions: j/k next/previous draft, a approve, e edit the title.
// No inline script anywhere: the Content-Security-Policy allows only this file.
document.addEventListener("keydown", function (event) {
  var tag = (event.target && event.target.tagName) || "";
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  var go = function (id) { var link = document.getElementById(id); if (link) { window.location = link.href; } };
  if (event.key === "j") { go("next"); }
  else if (event.key === "k") { go("prev"); }
  else if (event.key === "a") { var approve = document.getElementById("approve"); if (approve) { approve.click(); } }
  else if (event.key === "e") { var title = document.getElementById("f-title"); if (title) { event.preventDefault(); title.focus(); } }
});
document.addEventListener("click", function (event) {
  var row = event.target.closest && event.target.closest("tr[data-href]");
  if (row && event.target.tagName !== "A") { window.location = row.getAttribute("data-href"); }
});
