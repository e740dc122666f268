/* The checkout code, computed on the phone (PROTOCOLS.md section 4): RFC 6238 TOTP,
   30 s steps, 8 digits, HMAC-SHA1 over the shopper's base32 secret. Needs WebCrypto
   (crypto.subtle), which browsers offer only on secure pages (HTTPS or localhost). */
"use strict";

const Totp = (() => {
  const STEP_SECONDS = 30;
  const DIGITS = 8;
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  function base32Bytes(text) {
    const clean = text.replace(/=+$/, "").toUpperCase();
    const bytes = [];
    let bits = 0;
    let value = 0;
    for (const char of clean) {
      const index = ALPHABET.indexOf(char);
      if (index < 0) throw new Error("not base32");
      value = (value << 5) | index;
      bits += 5;
      if (bits >= 8) {
        bytes.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return new Uint8Array(bytes);
  }

  function available() {
    return Boolean(window.isSecureContext && window.crypto && crypto.subtle);
  }

  async function code(secret, unixSeconds) {
    const counter = Math.floor(unixSeconds / STEP_SECONDS);
    const message = new DataView(new ArrayBuffer(8));
    message.setUint32(0, Math.floor(counter / 2 ** 32));
    message.setUint32(4, counter >>> 0);
    const key = await crypto.subtle.importKey("raw", base32Bytes(secret),
      { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message.buffer));
    const offset = mac[mac.length - 1] & 0x0f;
    const number = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16)
      | (mac[offset + 2] << 8) | mac[offset + 3];
    return String(number % 10 ** DIGITS).padStart(DIGITS, "0");
  }

  return { STEP_SECONDS, available, code };
})();
