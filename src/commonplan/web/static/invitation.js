// The invitation link carries its token in the fragment (#TOKEN), which browsers never send to
// the server: copy it into the form and hide the field.  Without JavaScript the member pastes it.
(function () {
  "use strict";
  var token = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  var field = document.getElementById("token");
  if (!token || !field) { return; }
  field.value = token;
  document.getElementById("token-field").hidden = true;
  window.history.replaceState(null, "", window.location.pathname);
})();
