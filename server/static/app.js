// applink: copy buttons. The pages work without this script; it only
// shows the Copy buttons and copies the value of the element named by
// data-copy.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.dataset.copy);
      if (!target) {
        return;
      }
      var text = "value" in target && target.tagName === "INPUT" ? target.value : target.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        button.classList.add("copied");
        setTimeout(function () {
          button.textContent = label;
          button.classList.remove("copied");
        }, 1500);
      });
    });
  });
});
