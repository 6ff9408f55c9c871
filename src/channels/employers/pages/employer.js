// Employer pages: checks fields as the user types and adds a print button. Every page
// works without this script; the server checks everything again with the real rules.
(function () {
  "use strict";
  var STATES = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split(" ");
  // The same words as the file checks (ivd_newhire's rules).
  var rules = {
    ssn: function (v) {
      var d = v.replace(/[-\s]/g, "");
      if (d === "") return "SSN is blank";
      if (!/^\d{9}$/.test(d)) return "SSN must be 9 digits";
      var area = d.slice(0, 3);
      if (area === "000" || area === "666" || area[0] === "9") return "SSN area 000, 666 and 900-999 are never issued";
      if (d.slice(3, 5) === "00") return "SSN group 00 is never issued";
      if (d.slice(5) === "0000") return "SSN serial 0000 is never issued";
      return "";
    },
    date: function (v) {
      if (v.trim() === "") return "";
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.trim());
      if (!m) return "Write the date as year-month-day, for example 2026-11-02";
      var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
      if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) return "This is not a real calendar date";
      return "";
    },
    zip: function (v) {
      if (v.trim() === "") return "";
      return /^\d{5}$/.test(v.trim()) ? "" : "ZIP code must be 5 digits";
    },
    state: function (v) {
      if (v.trim() === "") return "";
      return STATES.indexOf(v.trim().toUpperCase()) >= 0 ? "" : "Use the 2-letter postal code of a state, for example MN";
    }
  };
  function check(input) {
    var rule = rules[input.getAttribute("data-rule")];
    var out = document.getElementById(input.id + "-error");
    if (!rule || !out) return;
    var message = rule(input.value);
    out.textContent = message ? message + "." : "";
    if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-rule]");
    Array.prototype.forEach.call(inputs, function (input) {
      // Checked when the user leaves the field, then on every change while it is wrong.
      input.addEventListener("blur", function () { check(input); });
      input.addEventListener("input", function () {
        if (input.getAttribute("aria-invalid") === "true") check(input);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
