// applink: copy buttons and focus. The pages work without this script; it
// shows the Copy buttons, copies the value of the element named by
// data-copy and announces it in the page's live region (#announce), and
// moves the focus to the first field marked invalid (or to the form's
// error when no field is).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var invalid = document.querySelector('[aria-invalid="true"]') || document.getElementById("form-error");
  if (invalid) {
    invalid.focus();
    invalid.scrollIntoView({block: "center"});
  }
  if (!navigator.clipboard) {
    return;
  }
  var announce = document.getElementById("announce");
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
        if (announce) {
          // What was copied, from the button's name: "Copy the consumer
          // key" → "Copied the consumer key".
          announce.textContent = (button.getAttribute("aria-label") || "Copy").replace(/^Copy/, "Copied");
        }
        setTimeout(function () {
          button.textContent = label;
          button.classList.remove("copied");
        }, 1500);
      });
    });
  });
});
