// The issue form: count characters, and keep contact details out of an anonymous issue (site.js
// focuses the error summary, as on every form). The form works without this script: the server
// checks every answer, and issues.css shows the contact fields and the signposts without it.
(function () {
  "use strict";
  // Character counts: a visible count under the field, updated as the resident types, and a
  // polite announcement once they pause (announcing every keystroke would drown the screen
  // reader). Over the limit the text stays whole: the count says by how much to shorten it.
  var format = new Intl.NumberFormat(document.documentElement.lang || "en-CA");
  function fill(template, numbers) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in numbers ? format.format(numbers[name]) : whole;
    });
  }
  document.querySelectorAll("[data-count-max]").forEach(function (field) {
    var max = parseInt(field.getAttribute("data-count-max"), 10);
    var count = document.createElement("p");
    count.className = "form-text char-count";
    count.id = field.id + "_count";
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + count.id);
    var anchor = document.getElementById(field.id + "_helptext") || field;
    anchor.insertAdjacentElement("afterend", count);
    count.insertAdjacentElement("afterend", live);
    var timer = null;
    var warned = false;
    function update(announce) {
      // Count characters as the server does (code points), not UTF-16 units.
      var used = Array.from(field.value).length;
      var over = used > max;
      count.textContent = over
        ? fill(field.getAttribute("data-count-over"), { over: used - max, max: max })
        : fill(field.getAttribute("data-count-left"), { left: max - used, max: max });
      count.classList.toggle("char-count-over", over);
      window.clearTimeout(timer);
      if (!announce) {
        return;
      }
      // Say it at once when the text goes over the limit (a paste, say), otherwise on a pause.
      if (over && !warned) {
        live.textContent = count.textContent;
      } else {
        timer = window.setTimeout(function () { live.textContent = count.textContent; }, 1500);
      }
      warned = over;
    }
    field.addEventListener("input", function () { update(true); });
    update(false);
  });

  // Contact details: while "stay anonymous" is chosen they are hidden (issues.css) and disabled
  // here, so that anything typed there earlier is not sent. They stay in view when the server
  // asked the resident to clear them, until the resident changes their choice.
  var details = document.getElementById("contact-details");
  var choices = document.querySelectorAll('input[name="contact"]');
  if (details && choices.length) {
    var sync = function () {
      var anonymous = document.querySelector('input[name="contact"][value="anonymous"]:checked');
      details.disabled = Boolean(anonymous) && !details.classList.contains("issues-contact-details-shown");
    };
    choices.forEach(function (choice) {
      choice.addEventListener("change", function () {
        details.classList.remove("issues-contact-details-shown");
        sync();
      });
    });
    sync();
  }
})();
