// Copy buttons (an enhancement: without JavaScript the text is there to select whole).
// A button[data-copy="ID"] copies the text of the element with that id and says so; where the
// browser refuses the clipboard, the text is selected for the reader to copy.
(function () {
  "use strict";
  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      var copying = navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject();
      copying.then(function () {
        button.textContent = button.getAttribute("data-done");
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        select(target);
      });
    });
  });
})();
