/* Passkeys (WebAuthn) in the browser: the API sends options as JSON with base64url
   fields; the browser wants ArrayBuffers, and its answer goes back as JSON again. */
"use strict";

const Passkeys = (() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)), (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  const available = () => Boolean(window.PublicKeyCredential && navigator.credentials);

  function asJson(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = toText(r.attestationObject);
    if (r.authenticatorData) response.authenticatorData = toText(r.authenticatorData);
    if (r.signature) response.signature = toText(r.signature);
    if (r.userHandle) response.userHandle = toText(r.userHandle);
    if (r.getTransports) response.transports = r.getTransports();
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined };
  }

  /** Make a passkey from creation options; the credential as JSON. */
  async function create(options) {
    const publicKey = { ...options, challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })) };
    return asJson(await navigator.credentials.create({ publicKey }));
  }

  /** Sign with a passkey from request options; the credential as JSON. */
  async function get(options) {
    const publicKey = { ...options, challenge: toBytes(options.challenge),
      allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })) };
    return asJson(await navigator.credentials.get({ publicKey }));
  }

  return { available, create, get };
})();
