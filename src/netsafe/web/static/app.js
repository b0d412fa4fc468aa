// Match page: after a result arrives with no match, offer a local preview of the person's own file, blurred
// and grey until they ask for it. A matched file is never drawn: the preview only exists for "no match".
(function () {
  "use strict";
  let url = null;
  function setup(root) {
    const result = root.querySelector ? root.querySelector(".result") : null;
    const input = document.getElementById("file");
    if (url) { URL.revokeObjectURL(url); url = null; }
    if (!result || result.dataset.matched !== "false" || !input || !input.files || !input.files[0]) return;
    const file = input.files[0];
    if (!file.type.startsWith("image/")) return;
    const box = document.getElementById("preview");
    const img = document.getElementById("preview-img");
    const toggle = document.getElementById("preview-toggle");
    if (!box || !img || !toggle) return;
    url = URL.createObjectURL(file);
    img.src = url;
    box.hidden = false;
    toggle.addEventListener("click", function () {
      const veiled = img.classList.toggle("veiled");
      toggle.setAttribute("aria-pressed", veiled ? "false" : "true");
      toggle.textContent = veiled ? "Show preview" : "Blur preview";
      img.alt = veiled ? "Preview of the uploaded file (blurred)" : "Preview of the uploaded file";
    });
  }
  document.addEventListener("htmx:afterSwap", function (ev) { setup(ev.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { setup(document); });
})();
