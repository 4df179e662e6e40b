// The check-in desk on any phone: reads badge QR codes from the camera or from a photo, and finds people by name.
// The browser's BarcodeDetector reads the codes where it exists; elsewhere jsQR (served by Podium, loaded when first
// needed) reads frames drawn on a canvas. Typing the code, or a USB scanner that types it, works without any of it.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  var button = document.getElementById("scan-button");
  var photoLabel = document.getElementById("photo-label");
  var photo = document.getElementById("badge-photo");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var REMEMBER = "podium-checkin-camera";
  var LAST = "podium-checkin-last";
  var LARGEST = 1024; // pixels on the longer side: enough for a badge's code, quick on a phone
  var CLOSER = 2048; // a photo whose badge is small in the picture gets a second, sharper look

  function say(text) { if (status) status.textContent = text || ""; }

  // --- Reading QR codes -------------------------------------------------------------------------------------
  var canvas = document.createElement("canvas");
  var drawing = canvas.getContext("2d", { willReadFrequently: true });
  var readerReady = null;

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = status.dataset.reader;
      script.onload = function () { if (window.jsQR) resolve(window.jsQR); else reject(new Error("jsQR")); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // A function from an image source (video, bitmap, image) and its size to the code read, or "".
  function reader() {
    if (readerReady) return readerReady;
    readerReady = (async function () {
      if ("BarcodeDetector" in window) {
        try {
          var formats = await window.BarcodeDetector.getSupportedFormats();
          if (formats.indexOf("qr_code") >= 0) {
            var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
            return async function (source) {
              var found = await detector.detect(source);
              return found.length > 0 ? found[0].rawValue || "" : "";
            };
          }
        } catch (error) {
          // Present but unusable: jsQR reads instead.
        }
      }
      var jsQR = await loadJsQR();
      return async function (source, width, height, largest) {
        var scale = Math.min(1, (largest || LARGEST) / Math.max(width, height));
        canvas.width = Math.max(1, Math.round(width * scale));
        canvas.height = Math.max(1, Math.round(height * scale));
        drawing.drawImage(source, 0, 0, canvas.width, canvas.height);
        var pixels = drawing.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
        return code ? code.data : "";
      };
    })();
    readerReady.catch(function () { readerReady = null; });
    return readerReady;
  }

  function submit(code) {
    input.value = code;
    sessionStorage.setItem(LAST, code);
    stop();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // --- The camera -------------------------------------------------------------------------------------------
  var media = navigator.mediaDevices;
  var label = button ? button.textContent : "";
  var stream = null;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    if (video) { video.srcObject = null; video.hidden = true; }
    if (button) button.textContent = label;
  }

  async function start() {
    var read;
    try {
      read = await reader();
    } catch (error) {
      say(status.dataset.unavailable);
      return;
    }
    try {
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
    try { await video.play(); } catch (error) { /* muted inline video: play() only fails when stopped meanwhile */ }
    // The badge just read stays in front of the camera while the desk reads the answer: it is read again only
    // after it has left the picture.
    var ignoring = sessionStorage.getItem(LAST) || "";
    var look = async function () {
      if (!stream) return;
      try {
        if (video.videoWidth > 0) {
          var code = await read(video, video.videoWidth, video.videoHeight);
          if (code && code !== ignoring) { submit(code); return; }
          if (!code) ignoring = "";
        }
      } catch (error) {
        // A frame that could not be read: try the next one.
      }
      window.setTimeout(look, 200);
    };
    look();
  }

  if (form && input && button && video && status && media && media.getUserMedia) {
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
  }

  // --- A photo of the badge, where there is no camera or no permission for it -------------------------------
  function picture(file) {
    if (window.createImageBitmap) return window.createImageBitmap(file);
    return new Promise(function (resolve, reject) {
      var image = new Image();
      var address = URL.createObjectURL(file);
      image.onload = function () { URL.revokeObjectURL(address); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(address); reject(new Error("image")); };
      image.src = address;
    });
  }

  if (form && input && photo && photoLabel && status) {
    photoLabel.hidden = false;
    photo.addEventListener("change", async function () {
      var file = photo.files && photo.files[0];
      if (!file) return;
      say(status.dataset.reading);
      var read;
      try {
        read = await reader();
      } catch (error) {
        say(status.dataset.unavailable);
        return;
      }
      try {
        var image = await picture(file);
        var code = await read(image, image.width, image.height);
        if (!code && Math.max(image.width, image.height) > LARGEST) {
          code = await read(image, image.width, image.height, CLOSER);
        }
        photo.value = "";
        if (code) { submit(code); return; }
      } catch (error) {
        // Not an image the browser can open: said below, as for a photo without a code.
      }
      photo.value = "";
      say(status.dataset.noCode);
    });
  }

  // --- Lookup by name: results as the desk types ------------------------------------------------------------
  var lookupForm = document.getElementById("lookup-form");
  var lookupInput = document.getElementById("lookup-name");
  var results = document.getElementById("lookup-results");
  if (!lookupForm || !lookupInput || !results || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var pending = null;

  async function lookUp(typed) {
    if (pending) pending.abort();
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    var address = lookupForm.action + "?q=" + encodeURIComponent(typed);
    try {
      var answer = await fetch(address, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: controller ? controller.signal : undefined,
      });
      if (!answer.ok) return;
      var page = new DOMParser().parseFromString(await answer.text(), "text/html");
      var fresh = page.getElementById("lookup-results");
      if (!fresh || pending !== controller) return;
      results.replaceChildren.apply(results, Array.prototype.map.call(fresh.childNodes, function (node) {
        return document.importNode(node, true);
      }));
      history.replaceState(null, "", typed ? address : lookupForm.action);
    } catch (error) {
      // Aborted by newer letters, or offline: the Search button still sends the form.
    }
  }

  lookupInput.addEventListener("input", function () {
    window.clearTimeout(timer);
    var typed = lookupInput.value.trim();
    timer = window.setTimeout(function () {
      if (typed) lookUp(typed);
      else { if (pending) pending.abort(); results.replaceChildren(); }
    }, 250);
  });
})();
