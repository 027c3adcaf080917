// The demo customer site embeds the chat channel named by `?channel=KEY` (the demo workspace's
// own without it) with the same one tag a customer's site uses.
(function () {
  "use strict";
  var channel = new URLSearchParams(location.search).get("channel") || "demo-web";
  var tag = document.createElement("script");
  tag.src = "/widget.js";
  tag.async = true;
  tag.setAttribute("data-channel", channel);
  document.body.appendChild(tag);
})();
