/* Keyboard shortcuts for the common moves, listed on /shortcuts/. A link in the page
   declares its shortcut (data-shortcut="g i"), so a shortcut exists only where its
   link does (a person who may not file incidents has no "n"). "/" puts the focus in
   the page's search box, if it has one. Inactive while typing in a field and with
   Ctrl, Alt or Meta held. Loaded from a file (strict CSP). */
(function () {
  "use strict";

  var PREFIX_TIMEOUT = 1500;  /* ms to type the second key of "g i" */
  var pending = "";
  var pendingTimer = null;

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function shortcutLinks() {
    var links = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut]"), function (link) {
      links[link.getAttribute("data-shortcut")] = link;
    });
    return links;
  }

  function clearPending() {
    pending = "";
    if (pendingTimer) { window.clearTimeout(pendingTimer); pendingTimer = null; }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (typing(event.target)) { clearPending(); return; }
    var key = event.key;
    if (key === "/") {
      var search = document.querySelector("main input[type=search]");
      if (search) {
        event.preventDefault();
        clearPending();
        search.focus();
        search.select();
      }
      return;
    }
    if (!key || key.length !== 1) { return; }
    var sequence = pending ? pending + " " + key : key;
    var links = shortcutLinks();
    if (links[sequence]) {
      event.preventDefault();
      clearPending();
      links[sequence].click();
      return;
    }
    var prefix = Object.keys(links).some(function (name) { return name.indexOf(sequence + " ") === 0; });
    clearPending();
    if (prefix) {
      pending = sequence;
      pendingTimer = window.setTimeout(clearPending, PREFIX_TIMEOUT);
    }
  });
})();
