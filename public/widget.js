/*
 * Switchboard chat widget loader. Add it to any page with one tag:
 *
 *   <script src="https://YOUR-SWITCHBOARD/widget.js" data-channel="CHANNEL-KEY" async></script>
 *
 * It adds a chat button in the corner; the chat itself is served by Switchboard in a frame.
 * Optional attributes: data-position="left" to sit in the bottom-left corner,
 * data-open="true" to start open, data-label="Chat with us" for the button's name.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__switchboardWidget) return;
  window.__switchboardWidget = true;

  var channel = script.getAttribute("data-channel");
  var origin = new URL(script.src, location.href).origin;
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var label = script.getAttribute("data-label") || "Chat with us";
  if (!channel) {
    console.error("Switchboard widget: the script tag needs a data-channel attribute naming the chat channel.");
    return;
  }

  var host = document.createElement("div");
  host.setAttribute("data-switchboard-widget", channel);
  host.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;font-family:system-ui,sans-serif;";

  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.src = origin + "/chat/" + encodeURIComponent(channel) + "?embed=1";
  frame.setAttribute("allow", "clipboard-write");
  frame.style.cssText = "display:none;width:370px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);" +
    "border:0;border-radius:14px;box-shadow:0 12px 40px rgba(15,23,42,.25);margin-bottom:12px;background:#fff;";

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "display:block;margin-left:auto;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
    "background:#0f172a;color:#fff;box-shadow:0 6px 20px rgba(15,23,42,.3);";
  button.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">' +
    '<path d="M21 12a8 8 0 0 1-11.5 7.2L4 20l1-4.4A8 8 0 1 1 21 12z"/></svg>';

  function toggle(open) {
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.setAttribute("aria-label", open ? "Close chat" : label);
    if (open) frame.focus();
  }
  button.addEventListener("click", function () {
    toggle(frame.style.display === "none");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && frame.style.display !== "none") toggle(false);
  });

  // Requests for the chat wait until it says it is ready for them.
  var ready = false;
  var waiting = [];
  function tell(message) {
    if (ready) frame.contentWindow.postMessage(message, origin);
    else waiting.push(message);
  }
  window.addEventListener("message", function (e) {
    if (e.source !== frame.contentWindow || e.origin !== origin) return;
    if (e.data && e.data.type === "switchboard:ready") {
      ready = true;
      while (waiting.length) frame.contentWindow.postMessage(waiting.shift(), origin);
    }
  });
  window.Switchboard = {
    identify: function (user, hmac) {
      if (!user || user.id === undefined || user.id === null || String(user.id) === "") {
        console.error("Switchboard.identify: the customer needs an id.");
        return;
      }
      tell({
        type: "switchboard:identify",
        user: {
          id: String(user.id),
          name: user.name ? String(user.name) : "",
          email: user.email ? String(user.email) : "",
          phone: user.phone ? String(user.phone) : "",
          attributes: user.attributes && typeof user.attributes === "object" ? JSON.stringify(user.attributes) : ""
        },
        hmac: hmac ? String(hmac) : ""
      });
    },
    reset: function () {
      tell({ type: "switchboard:reset" });
    }
  };

  host.appendChild(frame);
  host.appendChild(button);
  (document.body || document.documentElement).appendChild(host);
  if (script.getAttribute("data-open") === "true") toggle(true);
})();
