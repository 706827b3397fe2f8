// The business section matters only for a business loan: hide it otherwise (without
// JavaScript it simply stays visible, and the server ignores it for other loan types).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const type = document.querySelector("select[name='loan_type']");
    const business = document.getElementById("section-business");
    if (!type || !business) return;
    const sync = function () { business.hidden = type.value !== "business"; };
    type.addEventListener("change", sync);
    sync();
  });
})();
