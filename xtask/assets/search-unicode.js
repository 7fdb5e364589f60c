// Lets the book's search find words in any script, such as 粘包 and 套接字.
//
// mdBook's search index is built in Rust, where a word keeps its Chinese
// characters; `cargo book` adds to it every pair of neighbouring Chinese
// characters of each section (see xtask/src/book/search_words.rs), since
// Chinese puts no spaces between words. The query goes through elasticlunr.js
// in the browser, which needs two fixes to match:
//
// - its "trimmer" strips every character outside [A-Za-z0-9_] from both ends
//   of a word, so "粘包" became "" and nothing was found: it is swapped for
//   one that keeps letters and digits of every script;
// - its tokenizer cuts the query at spaces only, so "套接字是什么" would be
//   looked for whole: each run of Chinese characters in the query is cut
//   into the same pairs the index holds (套接, 接字, 字是, ...).
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

    const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
    const bigrams = (phrase) => {
        const chars = Array.from(phrase);
        if (chars.length < 2) {
            return chars;
        }
        return chars.slice(1).map((c, i) => chars[i] + c);
    };
    const spaceTokenizer = elasticlunr.tokenizer;
    const tokenizer = function (...args) {
        const words = [];
        for (const token of spaceTokenizer.apply(this, args)) {
            const phrases = token.match(cjk);
            if (!phrases) {
                words.push(token);
                continue;
            }
            words.push(...token.replace(cjk, ' ').split(/\s+/).filter((w) => w));
            for (const phrase of phrases) {
                words.push(...bigrams(phrase));
            }
        }
        return words;
    };
    elasticlunr.tokenizer = Object.assign(tokenizer, spaceTokenizer);
})();
