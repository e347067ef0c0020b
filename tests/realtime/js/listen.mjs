// Listens with the official socket.io-client and prints one JSON line per event:
//   node listen.mjs URL TOKEN|- TRANSPORTS [LAST_ID]   (e.g. websocket or polling,websocket)
// With LAST_ID, it resumes after that notice (auth.last_id).
// Exits when refused, disconnected, or its stdin closes (the test process is gone).
import { io } from "socket.io-client";

const [url, token, transports = "websocket", lastId = ""] = process.argv.slice(2);
const print = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

const socket = io(url, {
  auth: { ...(token && token !== "-" ? { token } : {}), ...(lastId ? { last_id: Number(lastId) } : {}) },
  transports: transports.split(","),
  reconnection: false,
});
socket.on("connect", () => print("connect", { id: socket.id, transport: socket.io.engine.transport.name }));
socket.on("connect_error", (err) => {
  print("connect_error", { message: err.message, data: err.data ?? null });
  process.exit(0);
});
socket.on("disconnect", (reason) => {
  print("disconnect", reason);
  process.exit(0);
});
socket.onAny((event, data) => print(event, data));

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
