// Draws the ```mermaid blocks of the docs as diagrams. MkDocs renders such a block as
// <pre><code class="language-mermaid">; Mermaid wants <div class="mermaid">. GitHub draws the
// same blocks natively, so the Markdown files read well there too.
import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";

for (const code of document.querySelectorAll("pre > code.language-mermaid")) {
  const diagram = document.createElement("div");
  diagram.className = "mermaid";
  diagram.textContent = code.textContent;
  code.parentElement.replaceWith(diagram);
}
mermaid.initialize({ startOnLoad: false, theme: "neutral" });
await mermaid.run();
