/** `GET /docs.css`: system fonts, readable on a phone, light and dark. */
export const DOCS_CSS = `:root { color-scheme: light dark; --bg: #ffffff; --text: #17202b; --muted: #5b6777; --border: #dde3ea;
  --code: #f3f5f8; --accent: #2563eb; --get: #15803d; --put: #b45309; --post: #2563eb; --delete: #b91c1c; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f141b; --text: #e6ebf1; --muted: #9aa7b6; --border: #2b3441; --code: #18202a; --accent: #7aa7ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--border); }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.1rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
h4 { font-size: 1rem; margin: 1rem 0 0.25rem; }
h5 { font-size: 0.95rem; font-weight: normal; margin: 0.75rem 0 0.25rem; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.875em; }
code { background: var(--code); padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
nav ul { padding-left: 1.25rem; }
nav li { margin: 0.2rem 0; }
nav a { text-decoration: none; }
nav a code { text-decoration: underline; }
.operation, .schema { border: 1px solid var(--border); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 4.2em; text-align: center; font-size: 0.8rem; font-weight: 700;
  color: #fff; border-radius: 4px; padding: 0.1em 0.4em; }
.method.get { background: var(--get); } .method.put { background: var(--put); }
.method.post { background: var(--post); } .method.delete { background: var(--delete); }
.tag { font-size: 0.8rem; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 0 0.5em;
  white-space: nowrap; }
.status { font-weight: 700; font-family: ui-monospace, monospace; }
.status.s2 { color: var(--get); } .status.s4 { color: var(--put); } .status.s5 { color: var(--delete); }
.version, .media, .schema-name { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
table.fields { font-size: 0.9rem; }
table.fields td:first-child { white-space: nowrap; }
.fields, .variants { margin: 0.25rem 0; }
.variants { padding-left: 1.25rem; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); padding: 0.35rem 0.5rem; }
@media (max-width: 40rem) { body { font-size: 15px; } .operation, .schema { padding: 0.6rem; } }
`;
