// A port nobody listens on, for the Node hosts of the Wasm component (serve-jco, serve-fresh).
import { createServer } from "node:net";

export function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
