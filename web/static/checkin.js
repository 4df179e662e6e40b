// The check-in desk: where the browser can read QR codes (BarcodeDetector), scan badges with the camera.
// Elsewhere the button stays hidden; typing the code, or a USB scanner that types it, still works.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var REMEMBER = "podium-checkin-camera";
  if (!form || !input || !button || !video || !status) return;
  var media = navigator.mediaDevices;
  if (!("BarcodeDetector" in window) || !media || !media.getUserMedia) return;

  var label = button.textContent;
  var stream = null;

  function say(text) { status.textContent = text || ""; }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    button.textContent = label;
  }

  function submit(code) {
    input.value = code;
    stop();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  async function start() {
    var detector;
    try {
      var formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.indexOf("qr_code") < 0) {
        button.hidden = true;
        say(button.dataset.unsupported);
        return;
      }
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await media.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      stop();
      sessionStorage.removeItem(REMEMBER);
      say(button.dataset.denied);
      return;
    }
    sessionStorage.setItem(REMEMBER, "on");
    video.srcObject = stream;
    video.hidden = false;
    button.textContent = button.dataset.stop;
    say(button.dataset.scanning);
    await video.play();
    var look = async function () {
      if (!stream) return;
      try {
        var found = await detector.detect(video);
        if (found.length > 0 && found[0].rawValue) {
          submit(found[0].rawValue);
          return;
        }
      } catch (error) {
        // A frame that could not be read: try the next one.
      }
      window.setTimeout(look, 200);
    };
    look();
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (stream) {
      stop();
      sessionStorage.removeItem(REMEMBER);
      say("");
      input.focus();
    } else {
      start();
    }
  });
  // After a scan the page answers and reloads: a desk that was scanning goes on scanning.
  if (sessionStorage.getItem(REMEMBER) === "on") start();
})();
