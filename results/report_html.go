package results

import "html/template"

// reportTemplate renders a reportPage.
var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// reportHTML is the page. It has no script: everything that folds is a
// <details> element.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --fg: #1b1f23; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa; --accent: #0072b2; --bad: #b35806; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 6px; }
p { margin: 6px 0; }
.muted { color: var(--muted); }
nav { margin: 12px 0 0; font-size: 14px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
.question { font-size: 18px; margin: 16px 0 6px; }
.reading { background: var(--bg-alt); border-left: 4px solid var(--accent); padding: 8px 14px; margin: 8px 0; }
.warn { background: #fff4e5; border-left: 4px solid var(--bad); padding: 8px 14px; margin: 12px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; margin: 6px 0 4px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--bg-alt); font-weight: 600; border-bottom: 2px solid var(--line); }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
td.l, th.l { text-align: left; }
td.c, th.c { text-align: center; }
tbody tr:hover { background: #eef6fc; }
.caption { font-size: 13.5px; color: var(--muted); max-width: 110ch; }
.source { font-size: 12px; color: var(--muted); font-family: ui-monospace, "Liberation Mono", monospace; }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px 24px; }
figure { margin: 0; }
figure img { display: block; width: 100%; max-width: 760px; height: auto; border: 1px solid var(--line); }
.figs.main { grid-template-columns: 1fr; }
.figs.main img { max-width: 840px; }
figcaption { font-size: 13.5px; margin-top: 4px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 6px 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-family: ui-monospace, "Liberation Mono", monospace; font-size: 13.5px; overflow-wrap: break-word; }
pre { background: var(--bg-alt); padding: 10px 14px; overflow-x: auto; font-size: 12.5px; line-height: 1.4; border: 1px solid var(--line); }
pre.wrap { white-space: pre-wrap; overflow-wrap: break-word; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
.bad { color: var(--bad); font-weight: 600; }
code { font-family: ui-monospace, "Liberation Mono", monospace; font-size: 0.95em; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="muted">{{if .M.ConfigFile}}Config <code>{{.M.ConfigFile}}</code>{{end}}{{if .RunCounts}}{{if .M.ConfigFile}} · {{end}}{{.RunCounts}}{{end}}{{if .Seeds}} · seeds {{.Seeds}}{{end}}</p>
<nav>
<a href="#question">Question</a>{{range .Sections}}<a href="#{{.ID}}">{{.Title}}</a>{{end}}{{if .Pretrain}}<a href="#pretraining">Pretraining</a>{{end}}{{if .Failed}}<a href="#failed">Failed runs</a>{{end}}<a href="#config">Config</a><a href="#provenance">Provenance</a>
</nav>
{{if not .HasManifest}}<p class="warn">This folder has no manifest.json: question, config and provenance are unknown.</p>{{end}}
{{if .Failed}}<p class="warn"><strong>{{len .Failed}} run(s) failed</strong> and are missing from every aggregate: see <a href="#failed">Failed runs</a>.</p>{{end}}
{{if .HashIssues}}<p class="warn"><strong>{{.HashIssues}} record file(s)</strong> do not match the hash in the manifest: see <a href="#provenance">Provenance</a>.</p>{{end}}

<section id="question">
<h2>Question</h2>
{{if .M.Question}}<p class="question">{{.M.Question}}</p>{{else}}<p class="muted">The config states no question.</p>{{end}}
{{if .M.Reading}}<div class="reading"><strong>How to read it.</strong> {{.M.Reading}}</div>{{end}}
<dl class="kv">
{{if .M.Agents}}<dt>agents</dt><dd>{{range $i, $a := .M.Agents}}{{if $i}}, {{end}}{{$a}}{{end}}{{if .M.Baseline}} (baseline {{.M.Baseline}}){{end}}</dd>{{end}}
{{if .Points}}<dt>sweep points</dt><dd>{{.Points}}</dd>{{end}}
{{range .Sweep}}<dt>sweep axis</dt><dd>{{.}}</dd>{{end}}
{{if .Splits}}<dt>splits</dt><dd>{{.Splits}}</dd>{{end}}
{{if .Days}}<dt>checkpoints (day)</dt><dd>{{.Days}}</dd>{{end}}
{{if .M.Resamples}}<dt>bootstrap resamples</dt><dd>{{.M.Resamples}}</dd>{{end}}
</dl>
</section>

{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{if .Folded}}<details><summary>Per sweep point: {{len .Tables}} tables, {{len .Plots}} figures (figures load from this folder's plots/)</summary>{{end}}
{{range .Tables}}{{template "table" .}}{{end}}
{{if .Plots}}<div class="figs{{if .Wide}} main{{end}}">
{{range .Plots}}<figure id="{{.ID}}">
<img {{.Src}} alt="{{.Title}}">
<figcaption><strong>{{.Title}}.</strong>{{if .Caption}} {{.Caption}}{{end}} <span class="source">{{.Source}}</span></figcaption>
</figure>
{{end}}</div>{{end}}
{{if .Folded}}</details>{{end}}
</section>
{{end}}

{{with .Pretrain}}
<section id="pretraining">
<h2>Pretraining</h2>
{{template "table" .}}
{{with $.PretrainSeeds}}<details><summary>Per seed ({{len .Rows}} rows)</summary>
{{template "table" .}}</details>{{end}}
</section>
{{end}}

{{if .Failed}}
<section id="failed">
<h2>Failed runs</h2>
<div class="scroll"><table>
<thead><tr><th class="l">run</th><th class="l">point</th><th class="l">agent</th><th class="r">seed</th><th class="l">error</th></tr></thead>
<tbody>
{{range .Failed}}<tr><td class="l"><code>{{.Key}}</code></td><td class="l">{{.Point}}</td><td class="l">{{.Agent}}</td><td class="r">{{.Seed}}</td><td class="l bad">{{.Error}}</td></tr>
{{end}}</tbody>
</table></div>
</section>
{{end}}

<section id="config">
<h2>Config</h2>
{{if .M.ConfigFile}}<p>As given in <code>{{.M.ConfigFile}}</code>{{if .M.Sets}}, then overridden by:{{else}}, with no --set overrides.{{end}}</p>{{end}}
{{if .M.Sets}}<pre>{{range .M.Sets}}--set {{.}}
{{end}}</pre>{{end}}{{if .M.Sweeps}}<p>Swept from the command line by:</p><pre>{{range .M.Sweeps}}--sweep {{.}}
{{end}}</pre>{{end}}
{{if .M.ConfigText}}<pre class="wrap">{{.M.ConfigText}}</pre>{{end}}
{{if .Resolved}}<details><summary>Resolved config of every point (JSON)</summary><pre>{{.Resolved}}</pre></details>{{end}}
</section>

<section id="provenance">
<h2>Provenance</h2>
<dl class="kv">
{{if .M.Experiment}}<dt>experiment</dt><dd>{{.M.Experiment}}</dd>{{end}}
{{if .M.CodeVersion}}<dt>code version</dt><dd>{{.M.CodeVersion}}</dd>{{end}}
{{if .M.GoVersion}}<dt>Go version</dt><dd>{{.M.GoVersion}}</dd>{{end}}
{{if .M.GOOS}}<dt>GOOS/GOARCH</dt><dd>{{.M.GOOS}}/{{.M.GOARCH}}</dd>{{end}}
{{if .M.ConfigHash}}<dt>config hash</dt><dd>{{.M.ConfigHash}}</dd>{{end}}
{{if .M.Shard}}<dt>shard</dt><dd>{{.M.Shard}} (this folder holds one shard of the sweep)</dd>{{end}}
{{if .M.Schema}}<dt>record schema</dt><dd>{{.M.Schema}}</dd>{{end}}
{{if .Seeds}}<dt>seeds</dt><dd>{{.Seeds}}</dd>{{end}}
{{if .M.Agents}}<dt>agents</dt><dd>{{range $i, $a := .M.Agents}}{{if $i}}, {{end}}{{$a}}{{end}}</dd>{{end}}
{{if .RunCounts}}<dt>runs</dt><dd>{{.RunCounts}}</dd>{{end}}
</dl>
{{if .Runs}}<details><summary>Per-run content hashes ({{len .Runs}} runs{{if .HashIssues}}, <span class="bad">{{.HashIssues}} not matching</span>{{else}}, all match their record files{{end}})</summary>
<div class="scroll"><table>
<thead><tr><th class="l">run</th><th class="l">status</th><th class="l">sha256 of runs/&lt;run&gt;.jsonl</th><th class="l">file</th></tr></thead>
<tbody>
{{range .Runs}}<tr><td class="l"><code>{{.Key}}</code></td><td class="l">{{.Status}}</td><td class="l"><code>{{.Hash}}</code></td><td class="l{{if and .Check (ne .Check "ok")}} bad{{end}}">{{.Check}}</td></tr>
{{end}}</tbody>
</table></div>
</details>{{end}}
{{if .Other}}<details><summary>Other files in this folder ({{len .Other}})</summary><pre>{{range .Other}}{{.}}
{{end}}</pre></details>{{end}}
</section>
</main>
</body>
</html>
{{define "table"}}<div class="table" id="{{.ID}}">
<h3>{{.Title}}</h3>
{{if .Caption}}<p class="caption">{{.Caption}}</p>{{end}}
{{if .Header}}<div class="scroll"><table>
<thead><tr>{{range $i, $h := .Header}}<th class="{{$.AlignOf $i}}">{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td class="{{$.AlignOf $i}}">{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>{{end}}
{{if .Source}}<p class="source">{{.Source}}</p>{{end}}
</div>
{{end}}`
