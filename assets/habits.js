/* Habits (explorer/habits.py): the back button restores the previous selection; arrow
 * keys page through the selection, or step through a grid's images in the viewer. */
(function () {
    "use strict";
    let pushed = 0;
    let restoring = null;  // the entry going back is putting into the stores

    function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
    // a selection: rows, or a density map's lasso kept as its shape (explorer/density_view)
    function selects(rows) { return Array.isArray(rows) ? rows.length > 0 : Boolean(rows); }

    function remember(rows, focus, node) {
        const entry = {topograph: true, rows: rows || [], focus: focus === undefined ? null : focus,
                       node: node || null};
        if (restoring) {  // the stores are being set one by one: no new entry meanwhile
            if (same(restoring, entry)) { restoring = null; }
            return window.dash_clientside.no_update;
        }
        const current = window.history.state;
        if (current && current.topograph && same(current, entry)) {
            return window.dash_clientside.no_update;  // what going back just restored
        }
        if (current && current.topograph && !selects(entry.rows) && selects(current.rows)
                && same([current.focus, current.node], [entry.focus, entry.node])) {
            return window.dash_clientside.no_update;  // a new lasso first clears the old one
        }
        if (!current || !current.topograph) {
            window.history.replaceState(entry, "");  // the page as it opened
        } else {
            window.history.pushState(entry, "");
            pushed += 1;
        }
        return pushed;
    }

    function restore(entry) {
        const set = window.dash_clientside && window.dash_clientside.set_props;
        if (!set) { return; }
        entry = entry && entry.topograph ? entry
            : {topograph: true, rows: [], focus: null, node: null};
        restoring = entry;
        window.setTimeout(function () { restoring = null; }, 1500);
        const gd = document.querySelector("#latent-scatter .js-plotly-plot");
        if (gd && window.Plotly && gd.data && gd.data.length && gd.data[0].type !== "scatter3d") {
            const rows = Array.isArray(entry.rows) && entry.rows.length ? entry.rows : null;
            window.Plotly.restyle(gd, {selectedpoints: [rows]}, [0]);
        }
        set("selected-points", {data: entry.rows});
        set("focus-row", {data: entry.focus});
        set("hier-selected", {data: entry.node});
    }

    window.addEventListener("popstate", function (event) { restore(event.state); });

    function typing(target) {
        const tag = target && target.tagName;
        return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT"
            || (target && target.isContentEditable);
    }

    function pageButton(step) {
        const button = document.getElementById(step > 0 ? "page-next" : "page-prev");
        if (button && !button.disabled && document.getElementById("selection-grid")) {
            button.click();
        }
    }

    document.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
        if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
        const step = event.key === "ArrowRight" ? 1 : -1;
        const viewer = window.topographViewer;
        if (viewer && viewer.isOpen()) {
            viewer.step(step);
        } else {
            pageButton(step);
        }
        event.preventDefault();
    });

    window.topographHabits = {remember: remember};
})();
