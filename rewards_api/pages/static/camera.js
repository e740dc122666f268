/* The live camera scanner: reads a product code from the phone's camera in the page.

   The browser's own Barcode Detection API reads the frames where it has one (Chrome on
   Android, Safari); elsewhere the vendored zxing-wasm reader (zxing-cpp compiled to
   WebAssembly, the same reader as on the server) does, loaded only when the camera is
   opened. Only EAN-13, UPC-A, EAN-8 and QR codes are looked for.

   Like the server's decoder, a value is believed on independent evidence: the same
   value read in two video frames. The caller sends it as a typed code would be sent;
   the rewards service checks the check digit again. */
"use strict";

const Camera = (() => {
  const ZXING_WASM_VERSION = "3.1.4";
  const VENDOR = "/assets/vendor/zxing-wasm-" + ZXING_WASM_VERSION + "-reader";
  // Our symbology names by each reader's format name, lower case without punctuation
  // (BarcodeDetector says "ean_13", zxing-wasm "EAN-13").
  const SYMBOLOGY = { ean13: "ean13", upca: "upca", ean8: "ean8", qrcode: "qr" };
  const DETECTOR_FORMATS = ["ean_13", "upc_a", "ean_8", "qr_code"];
  const ZXING_FORMATS = ["EAN13", "UPCA", "EAN8", "QRCode"];

  function available() {
    return Boolean(window.isSecureContext && navigator.mediaDevices
      && navigator.mediaDevices.getUserMedia);
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error("the barcode reader did not load"));
      document.head.append(script);
    });
  }

  /* A function reading one video frame: [{symbology, value}] of the codes in it. */
  async function frameReader() {
    if ("BarcodeDetector" in window) {
      const supported = await BarcodeDetector.getSupportedFormats();
      const formats = DETECTOR_FORMATS.filter((format) => supported.includes(format));
      if (formats.length > 0) {
        const detector = new BarcodeDetector({ formats });
        return async (video) => found(await detector.detect(video), (code) => [code.format, code.rawValue]);
      }
    }
    if (!window.ZXingWASM) await loadScript(VENDOR + ".js");
    await ZXingWASM.prepareZXingModule({
      overrides: { locateFile: (path) => (path.endsWith(".wasm") ? VENDOR + ".wasm" : path) },
      fireImmediately: true,
    });
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async (video) => {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const codes = await ZXingWASM.readBarcodes(frame,
        { formats: ZXING_FORMATS, tryHarder: true, maxNumberOfSymbols: 1 });
      return found(codes.filter((code) => code.isValid), (code) => [code.format, code.text]);
    };
  }

  function found(codes, formatAndText) {
    return codes.map(formatAndText)
      .map(([format, value]) => ({ symbology: SYMBOLOGY[format.toLowerCase().replace(/[^a-z0-9]/g, "")], value }))
      .filter((read) => read.symbology && read.value);
  }

  /* Shows the camera in `video` and reads frames until a code is believed: then stops
     the camera and calls onRead({symbology, value}). Returns stop(). Rejects when the
     camera cannot be opened (no camera, permission refused) or the reader not loaded. */
  async function start(video, onRead) {
    const stream = await navigator.mediaDevices.getUserMedia(
      { video: { facingMode: "environment" }, audio: false });
    let stopped = false;
    const stop = () => {
      stopped = true;
      stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
    };
    try {
      video.srcObject = stream;
      await video.play();
      const read = await frameReader();
      let previous = null;
      const next = async () => {
        if (stopped) return;
        const [code] = video.readyState >= 2 ? await read(video).catch(() => []) : [];
        if (stopped) return;
        if (code && previous && code.value === previous.value && code.symbology === previous.symbology) {
          stop();
          onRead(code);
          return;
        }
        previous = code || previous;  // a frame without a read breaks no evidence
        requestAnimationFrame(next);
      };
      requestAnimationFrame(next);
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  return { available, start };
})();
