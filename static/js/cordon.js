/* Cordon's page script: tells people when an htmx request fails, keeps keyboard focus
   in the section that htmx just replaced, on a page answered with a form to correct
   puts the focus on the first field to correct, and completes the incident header's
   section links. Loaded from a file (strict CSP). */
(function () {
  "use strict";

  var MESSAGES = {
    401: "Your session has ended. Please sign in again.",
    403: "You are not allowed to do that.",
    404: "Not found: it may have been removed, or it is out of your sight.",
    405: "That action is not possible here.",
    429: "Too many requests. Wait a moment and try again."
  };

  function errorBox() {
    return document.getElementById("request-error");
  }

  function showError(text) {
    var box = errorBox();
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  var swappedSectionId = null;

  document.addEventListener("htmx:beforeRequest", function () {
    var box = errorBox();
    if (box) { box.hidden = true; box.textContent = ""; }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    showError(MESSAGES[status] || "Something went wrong (" + status + "). Reload the page and try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check your connection and try again.");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    swappedSectionId = target && target.id ? target.id : null;
  });

  /* A page answered with a form to correct opens at its top: bring the first field
     to correct (or the form's message) into view, with the focus on it. (An action
     ready after a step-up is the `#ready` anchor itself, which the browser focuses;
     a page with an autofocus field keeps it.) */
  function focusWhatMatters() {
    if (window.location.hash || document.querySelector("[autofocus]")) { return; }
    var target = document.querySelector("main [aria-invalid='true']");
    if (!target) {
      /* A refusal with no field to correct (a form that is only a button): its message. */
      target = document.querySelector("main form .form-errors");
      if (target) { target.setAttribute("tabindex", "-1"); }
    }
    if (!target) { return; }
    target.focus();
    if (target.scrollIntoView) { target.scrollIntoView({block: "center"}); }
  }

  /* The incident header's section links: sections that other parts of Cordon add to
     the page (and only to people who may read them) get a link too; none dangles. */
  function completeSectionNav() {
    var nav = document.querySelector(".incident-header .section-nav ul");
    if (!nav) { return; }
    Array.prototype.forEach.call(nav.querySelectorAll("a[href^='#section-']"), function (link) {
      if (!document.getElementById(link.getAttribute("href").slice(1))) {
        nav.removeChild(link.parentElement);
      }
    });
    var before = nav.querySelector("a:not([href^='#'])");
    Array.prototype.forEach.call(document.querySelectorAll(".incident-grid > section[id^='section-']"), function (section) {
      if (nav.querySelector("a[href='#" + section.id + "']")) { return; }
      var heading = section.querySelector("h2");
      if (!heading) { return; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + section.id;
      link.textContent = heading.textContent.trim();
      item.appendChild(link);
      nav.insertBefore(item, before ? before.parentElement : null);
    });
  }

  function onReady() {
    completeSectionNav();
    focusWhatMatters();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }

  document.addEventListener("htmx:afterSettle", function () {
    completeSectionNav();  /* the header may have been swapped with the section */
    if (!swappedSectionId) { return; }
    var section = document.getElementById(swappedSectionId);
    swappedSectionId = null;
    if (!section) { return; }
    var focusable = section.querySelector("[aria-invalid='true']") || section.querySelector(".notice");
    if (focusable) { focusable.focus(); }
  });
})();
