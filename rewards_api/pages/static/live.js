/* Live updates for the pages: the API's Server-Sent Events streams (/v1/live/...).

   Read with fetch, not EventSource, because EventSource cannot send the
   Authorization header the API needs (and a token in the address would land in
   logs). Like EventSource it reconnects when the server ends a stream (every few
   minutes) or the network drops it, sending Last-Event-ID so nothing is missed; it
   obeys the stream's "retry". When there is no stream (the server is full,
   503 live_updates_full, or streams fail on this network) `fallback` runs every
   few seconds until a stream is open again. <html data-live="on"> while one is. */
"use strict";

const Live = (() => {
  /** Follow the stream at `path`: `on[name](data)` for each event of that name.
      `auth()` gives the current bearer token or key; without a stream `fallback()`
      runs every `fallbackMs`. Returns `{ stop() }`. */
  function follow(path, { auth, on, fallback, fallbackMs = 3000 }) {
    let lastId = null;
    let retryMs = 3000;
    let stopped = false;
    let controller = null;
    let fallbackTimer = null;
    let reconnectTimer = null;

    function fallBack() {
      if (!fallback || fallbackTimer !== null) return;
      fallback();
      fallbackTimer = setInterval(fallback, fallbackMs);
    }

    function stopFallback() {
      clearInterval(fallbackTimer);
      fallbackTimer = null;
    }

    function dispatch(block) {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;  // a heartbeat
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") lastId = value;
        else if (field === "event") name = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) retryMs = Number(value);
      }
      if (data.length === 0 || !on[name]) return;
      try {
        on[name](JSON.parse(data.join("\n")));
      } catch (error) {
        console.error("live update", name, error);
      }
    }

    async function read(body) {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    }

    async function connect() {
      if (stopped) return;
      controller = new AbortController();
      const headers = { Accept: "text/event-stream", Authorization: "Bearer " + auth() };
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      let wait = retryMs;
      try {
        const response = await fetch(path, { headers, credentials: "omit", cache: "no-store",
          signal: controller.signal });
        const type = response.headers.get("Content-Type") || "";
        if (response.ok && type.startsWith("text/event-stream")) {
          stopFallback();
          document.documentElement.dataset.live = "on";
          await read(response.body);
        } else {
          fallBack();
          // Full: come back when the server says; signed out: the page's own calls say so.
          wait = Number(response.headers.get("Retry-After") || 30) * 1000;
        }
      } catch (_) {
        if (stopped) return;
        fallBack();
      }
      document.documentElement.dataset.live = "off";
      if (!stopped) reconnectTimer = setTimeout(connect, wait);
    }

    connect();
    return {
      stop() {
        stopped = true;
        clearTimeout(reconnectTimer);
        stopFallback();
        if (controller) controller.abort();
        document.documentElement.dataset.live = "off";
      },
    };
  }

  /* Staff pages follow one store at a time: choosing another store (or key) ends the
     stream of the one before. */
  let storeStream = null;

  function followStore(key, storeId, options) {
    const path = `/v1/live/stores/${storeId}`;
    if (storeStream && storeStream.path === path && storeStream.key === key) return;
    if (storeStream) storeStream.stream.stop();
    storeStream = { path, key, stream: follow(path, { auth: () => key, ...options }) };
  }

  return { follow, followStore };
})();
