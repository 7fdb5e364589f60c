// Lets the book's search find words in any script, such as 粘包.
//
// mdBook's search index is built in Rust, where a word keeps its Chinese
// characters. The query goes through elasticlunr.js in the browser, whose
// "trimmer" strips every character outside [A-Za-z0-9_] from both ends of a
// word: "粘包" becomes "" and nothing is found. This swaps that trimmer for
// one that keeps letters and digits of every script.
//
// `cargo book` puts this at the top of searchindex-*.js, which mdBook loads
// after elasticlunr.js and before it builds the index and runs a search.
(() => {
    if (typeof elasticlunr === 'undefined') {
        return; // search is off
    }
    const asciiTrimmer = elasticlunr.trimmer;
    const unicodeTrimmer = (token) =>
        token.replace(/^[^\p{L}\p{N}_]+/u, '').replace(/[^\p{L}\p{N}_]+$/u, '');
    unicodeTrimmer.label = 'trimmer';
    elasticlunr.trimmer = unicodeTrimmer;
    elasticlunr.Pipeline.registerFunction(unicodeTrimmer, 'trimmer');
    const run = elasticlunr.Pipeline.prototype.run;
    elasticlunr.Pipeline.prototype.run = function (tokens) {
        this._queue = this._queue.map((step) => (step === asciiTrimmer ? unicodeTrimmer : step));
        return run.call(this, tokens);
    };
})();
