export interface ChatIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function safeWrite(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // a closed output (EPIPE and friends) must not crash the client
  }
}

export function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Swallows write errors (EPIPE when the reader went away) while the client runs; returns the undo. */
export function guardOutputs(io: ChatIo): () => void {
  const ignore = () => {};
  io.stdout.on('error', ignore);
  if (io.stderr !== io.stdout) io.stderr.on('error', ignore);
  return () => {
    io.stdout.off('error', ignore);
    if (io.stderr !== io.stdout) io.stderr.off('error', ignore);
  };
}
