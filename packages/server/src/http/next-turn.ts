// A break in work done while the server listens (the build behind the socket, issue 19), so that a
// request already waiting (a health probe) is answered in it.
//
// Two setImmediates, not one: Bun runs the immediates queued before a tick without polling its sockets
// in between, so a single one let no request in (a request waiting through a busy 50 ms was answered
// only after it; with two it is answered in the break). A break costs ~40 us when nothing waits;
// setTimeout(0) would cost ~1 ms.
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function nextTurn(): Promise<void> {
  await immediate();
  await immediate();
}
