// The chat page's script: plain JavaScript, no build step. The official browser client
// (nats.ws) is served by the host app from node_modules as /nats.ws.js.
import { connect, headers } from "/nats.ws.js";

const status = document.querySelector("#status");
const list = document.querySelector("#messages");
const form = document.querySelector("#send");
const nameInput = document.querySelector("#name");
const textInput = document.querySelector("#text");
const sendButton = form.querySelector("button");

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function show(from, text) {
  const item = document.createElement("li");
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = new Date().toLocaleTimeString();
  const who = document.createElement("span");
  who.className = "from";
  who.textContent = from;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text; // textContent, never innerHTML: messages come from anyone on the bus
  item.append(time, who, body);
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

// The host app says which port the WebSocket listener is on and which subject to use.
const config = await (await fetch("/config.json")).json();
// wss:// when the host app serves TLS (a page served over https may not open ws:// anyway).
const server = `${config.secure ? "wss" : "ws"}://${location.hostname}:${config.websocketPort}`;

try {
  const nc = await connect({ servers: server, name: "chat page" });
  const sub = nc.subscribe(config.subject);
  await nc.flush(); // the subscription is in place before we say we are ready
  setStatus("connected", `connected to ${server}`);
  sendButton.disabled = false;

  (async () => {
    for await (const msg of sub) {
      // Browsers send their name in a header; TCP clients (nats pub) usually send none.
      show(msg.headers?.get("Chat-From") || "anonymous", msg.string());
    }
  })();

  nc.closed().then((err) => {
    setStatus(err ? "error" : "closed", err ? `disconnected: ${err.message}` : "disconnected");
    sendButton.disabled = true;
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (text === "") return;
    const h = headers();
    h.set("Chat-From", nameInput.value.trim() || "browser");
    nc.publish(config.subject, text, { headers: h });
    textInput.value = "";
    textInput.focus();
  });
} catch (err) {
  setStatus("error", `cannot connect to ${server}: ${err.message}`);
}
