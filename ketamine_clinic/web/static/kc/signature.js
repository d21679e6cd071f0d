// A signature pad: draw with finger, pen or mouse; the drawing is sent as a PNG data URI in
// the form's hidden "signature" field. No inline script: this file is loaded with <script src>.
(function () {
  "use strict";
  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var field = document.getElementById(pad.getAttribute("data-field"));
    var clear = pad.querySelector("[data-clear]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;

    function fit() {
      var ratio = window.devicePixelRatio || 1;
      var width = canvas.clientWidth;
      var height = canvas.clientHeight;
      canvas.width = width * ratio;
      canvas.height = height * ratio;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      context.fillStyle = "#fff";
      context.fillRect(0, 0, width, height);
      drawn = false;
      field.value = "";
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      drawn = true;
      event.preventDefault();
    });
    function stop() {
      if (drawing && drawn) { field.value = canvas.toDataURL("image/png"); }
      drawing = false;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    if (clear) { clear.addEventListener("click", function (event) { event.preventDefault(); fit(); }); }
    // A page shown again after an error keeps the signature already drawn.
    var kept = field.value;
    fit();
    if (kept && kept.indexOf("data:image/png;base64,") === 0) {
      var image = new Image();
      image.onload = function () {
        context.drawImage(image, 0, 0, canvas.clientWidth, canvas.clientHeight);
        field.value = kept;
        drawn = true;
      };
      image.src = kept;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var pads = document.querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < pads.length; i++) { setUp(pads[i]); }
  });
})();
