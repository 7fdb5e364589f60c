// Renders the book's ```mermaid blocks with the mermaid.min.js beside this
// file (no CDN), in the colours of the mdBook theme the reader chose.
//
// Adapted from mdbook-mermaid's mermaid-init.js (MPL-2.0,
// https://github.com/badboy/mdbook-mermaid). Two changes: the diagrams are
// rendered with `mermaid.run()`, whose end is marked on <html> as
// data-diagrams="rendered" (or "failed", with the reason on the console), so
// a test can wait for it; and a missing theme button is not an error.
(() => {
    const darkThemes = ['ayu', 'navy', 'coal'];
    const lightThemes = ['light', 'rust'];
    const html = document.documentElement;

    const dark = darkThemes.some((theme) => html.classList.contains(theme));
    mermaid.initialize({ startOnLoad: false, theme: dark ? 'dark' : 'default' });
    mermaid.run({ querySelector: '.mermaid' }).then(
        () => { html.dataset.diagrams = 'rendered'; },
        (err) => {
            html.dataset.diagrams = 'failed';
            console.error('mermaid could not render a diagram:', err);
        },
    );

    // A diagram is drawn once, in one palette: switching between a light and
    // a dark theme reloads the page to draw it again.
    const reloadWhen = (themes, wasDark) => {
        for (const theme of themes) {
            const button = document.getElementById('mdbook-theme-' + theme);
            if (button) {
                button.addEventListener('click', () => {
                    if (dark === wasDark) {
                        window.location.reload();
                    }
                });
            }
        }
    };
    reloadWhen(darkThemes, false);
    reloadWhen(lightThemes, true);
})();
