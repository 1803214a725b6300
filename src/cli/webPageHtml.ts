// The web demo's HTML: a canvas, an overlay, and the bundled page script.

/** The page, loading its script from `scriptPath`. */
export function webPageHtml(scriptPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>game-network: web demo</title>
<style>
  body { margin: 0; background: #0b0e14; color: #cfd8dc; font: 13px/1.4 ui-monospace, monospace; display: flex; gap: 16px; padding: 16px; }
  canvas { image-rendering: pixelated; border: 1px solid #263238; }
  #overlay { white-space: pre; }
</style>
</head>
<body>
<canvas id="game" width="512" height="512"></canvas>
<div><p>Arrow keys move your dot, space dashes. Open a second tab to play together.</p><div id="overlay">joining...</div></div>
<script type="module" src="${scriptPath}"></script>
</body>
</html>
`;
}
