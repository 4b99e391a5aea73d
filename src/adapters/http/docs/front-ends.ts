/**
 * The user front ends on `/docs`, written by hand: they are WebSocket upgrades, which OpenAPI does not describe.
 * What they push is what `src/adapters/users/` sends (SPEC section 3); keep the two together.
 */
export const FRONT_ENDS = `<section id="front-ends">
<h2>User front ends: socket.io and WebSocket</h2>
<p>Users do not call the HTTP API: they connect to one node and send and receive messages as events. A <code>from</code>
sent by a user is ignored; the node sets it to its own id. <code>to</code> is a node id, or <code>*</code> for every node.
The web page at <code>/</code> uses the plain WebSocket <code>/ws</code>; <code>meshchat chat</code> and the assignment's
clients use socket.io.</p>
<p>On connect the node pushes, in order: <code>hello</code>, <code>nodes</code>, <code>history</code> and <code>mesh</code>.
Then it pushes <code>msg</code>, <code>status</code>, <code>nodes</code>, <code>mesh</code> and <code>presence</code> as they happen.</p>
<p>A connection may log in with a token from <code>POST /sessions</code> (socket.io: <code>auth: {token}</code> in the
handshake; <code>/ws</code>: a first frame <code>{"type": "auth", "token"}</code>). It is then that user: its messages carry
the user's address <code>name@node</code> as <code>user</code>, whatever the client set, and the user is online while one
logged-in connection lives. A connection without a token is anonymous and works as the assignment describes.
Connections are pinged; one that stops answering is closed after about two ping periods.</p>
<h3>socket.io, at the node's URL (path <code>/socket.io/</code>)</h3>
<table><thead><tr><th>direction</th><th>event</th><th>payload</th></tr></thead><tbody>
<tr><td>client → node</td><td><code>msg</code></td><td><code>{to, msg, user?}</code>, with an optional acknowledgement callback</td></tr>
<tr><td>client → node, handshake</td><td><code>auth</code></td><td><code>{since?: N, token?}</code>: the highest <code>seq</code> seen (or the query <code>?since=N</code>), and a login token; a bad token refuses the connection with a <code>connect_error</code> whose <code>data</code> is <code>{code: "unauthenticated", message}</code></td></tr>
<tr><td>node → client, ack</td><td></td><td><code>{ok: true, id, status: "delivered" | "queued"}</code> or <code>{ok: false, id?, error: {code, message}}</code></td></tr>
<tr><td>node → client</td><td><code>hello</code></td><td><code>{node: {id, url, incarnation, state}, user?}</code>: this node, on connect, and the logged-in user's address</td></tr>
<tr><td>node → client</td><td><code>nodes</code></td><td><code>[{id, url, incarnation?, state}, …]</code>: the member list, on connect and on every change</td></tr>
<tr><td>node → client</td><td><code>history</code></td><td>two arguments: <code>[{id, from, to, msg, ts, user?, seq, status?}, …]</code>, the newest page (100 by default, <code>GET /limits</code> <code>history.page</code>) of the messages kept after the cursor, newest last, once on connect; and <code>{more, before?}</code>: whether older messages are kept, and the id to ask for them before</td></tr>
<tr><td>client → node</td><td><code>older</code></td><td><code>{before: "&lt;message id&gt;", limit?}</code> with an acknowledgement: <code>{ok: true, messages, more, before?}</code>, the page before that message (at most <code>history.maxPage</code>), or <code>{ok: false, error}</code> (<code>invalid_history_request</code>, <code>rate_limited</code>); without a callback the answer comes as an <code>older</code> event</td></tr>
<tr><td>node → client</td><td><code>older</code></td><td>the answer to an <code>older</code> request sent without an acknowledgement callback</td></tr>
<tr><td>node → client</td><td><code>mesh</code></td><td><code>{nodes: [{id, url, state}], links: [{from, to}]}</code>: the network map (as <code>GET /mesh</code>), on connect and on every change</td></tr>
<tr><td>node → client</td><td><code>msg</code></td><td><code>{id, from, to, msg, ts, user?, seq, status?}</code>: a message that reached this node</td></tr>
<tr><td>node → client</td><td><code>status</code></td><td><code>{id, to, node, status, seq?, error?}</code>: how a sent message settled for one destination node (<code>delivered</code>, <code>queued</code>, <code>failed</code>, <code>expired</code>)</td></tr>
<tr><td>node → client</td><td><code>presence</code></td><td><code>{user, online, lastSeen}</code>: one of this node's users came online or went offline (<code>lastSeen</code> ISO-8601 or <code>null</code>)</td></tr>
<tr><td>node → client</td><td><code>error</code></td><td><code>{error: {code, message}}</code>: a failed send that had no acknowledgement callback; <code>{error: {code: "rate_limited", closed: true, retryAfter}}</code> just before the node closes a socket that kept sending over its limit</td></tr>
</tbody></table>
<h3>Plain WebSocket at <code>/ws</code></h3>
<p>JSON text frames, each with a <code>type</code>. Connect to <code>/ws?since=N</code> to get only the history after <code>N</code>.</p>
<table><thead><tr><th>direction</th><th>frame</th><th>fields</th></tr></thead><tbody>
<tr><td>client → node, first frame</td><td><code>auth</code></td><td><code>{"type": "auth", "token"}</code>: logs the connection in</td></tr>
<tr><td>node → client</td><td><code>auth</code></td><td><code>{"type": "auth", "ok": true, "user"}</code>; a bad token gets an <code>error</code> frame (<code>unauthenticated</code>) and the connection is closed with code 4401</td></tr>
<tr><td>client → node</td><td><code>msg</code></td><td><code>{"type": "msg", "to", "msg", "user"?, "ref"?}</code>; the ack echoes <code>ref</code></td></tr>
<tr><td>node → client</td><td><code>ack</code></td><td><code>{"type": "ack", "ref"?, "ok": true, "id", "status"}</code> or <code>{"type": "ack", "ref"?, "ok": false, "error"}</code></td></tr>
<tr><td>node → client</td><td><code>hello</code></td><td><code>{"type": "hello", "node"}</code></td></tr>
<tr><td>node → client</td><td><code>nodes</code></td><td><code>{"type": "nodes", "nodes": […]}</code></td></tr>
<tr><td>node → client</td><td><code>history</code></td><td><code>{"type": "history", "messages": […], "more", "before"?}</code>: the newest page, as on socket.io</td></tr>
<tr><td>client → node</td><td><code>older</code></td><td><code>{"type": "older", "before", "limit"?, "ref"?}</code>: the page before message <code>before</code></td></tr>
<tr><td>node → client</td><td><code>older</code></td><td><code>{"type": "older", "ref"?, "ok": true, "messages", "more", "before"?}</code>; a bad request gets an <code>error</code> frame (<code>invalid_history_request</code>) with its <code>ref</code></td></tr>
<tr><td>node → client</td><td><code>mesh</code></td><td><code>{"type": "mesh", "nodes": […], "links": […]}</code></td></tr>
<tr><td>node → client</td><td><code>msg</code></td><td><code>{"type": "msg", "id", "from", "to", "msg", "ts", "user"?, "seq", "status"?}</code></td></tr>
<tr><td>node → client</td><td><code>status</code></td><td><code>{"type": "status", "id", "to", "node", "status", "seq"?, "error"?}</code></td></tr>
<tr><td>node → client</td><td><code>presence</code></td><td><code>{"type": "presence", "user", "online", "lastSeen"}</code></td></tr>
<tr><td>node → client</td><td><code>error</code></td><td><code>{"type": "error", "error": {code, message}}</code>: a frame that is not JSON or not a <code>msg</code> (or an <code>auth</code> that is not the first frame) gets <code>invalid_frame</code>, and the connection stays open; a connection that keeps sending over its limit gets <code>rate_limited</code> with <code>closed: true</code> and is closed with code 4429</td></tr>
</tbody></table>
</section>`;
