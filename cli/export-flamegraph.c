/*
 * export-flamegraph.c - report --format flamegraph: a flame graph of the
 * run as one self-contained interactive SVG, written by cprof itself (no
 * Perl, no network, no external script).
 *
 * Each node of the run's calling-context tree (cct.h) is a box as wide as
 * its total time (samples in a run without marker calls), so a box's
 * self time is what its children leave uncovered; roots sit side by side
 * at the bottom (at the top with --icicle), children in the tree's walk
 * order, heaviest first. A box narrower than MIN_PX pixels is not drawn:
 * the narrow children of one parent are merged into one box "[N calling
 * contexts]" (drawn when the merge reaches MIN_PX), and their subtrees
 * left out, so the file stays small and quick to open however large the
 * program; the cut is said in the SVG's subtitle.
 *
 * The page's script (inline, its own) zooms on a click (Escape or the
 * reset button goes back), searches by regular expression (matches turn
 * magenta and their share of the run is shown); FILE.svg#zoom=NAME opens
 * zoomed on NAME's first box and #search=RE searched. Each box's title is
 * its tooltip: calls, self, total and the counters' self and total.
 * Colours are stable per function (a hash of its name picks a warm hue)
 * and the text on them stays dark, so the graph reads on light and dark
 * viewers alike; the background and headings follow the viewer's
 * colour scheme.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "export.h"

#define WIDTH	 1200 /* pixels of the graph's frames area */
#define PAD	 10
#define FRAME_H	 16
#define HEAD_H	 60
#define MIN_PX	 0.5 /* narrower boxes are merged */
#define CHAR_PX	 6.6 /* average width of a 11px sans-serif character */
#define LABEL_PX 21  /* the narrowest box that gets a label */
#define STR_(x)	 #x
#define STR(x)	 STR_(x)

struct fg {
	const struct cp_profile *p;
	const struct cp_cct *t;
	FILE *f;
	int icicle, by_samples;
	uint64_t whole; /* the sum of the roots' values */
	double scale;	/* pixels per unit of value */
	uint32_t maxdepth;
	uint64_t drawn, merged;
};

static uint64_t value(const struct fg *g, const struct cp_cct_node *n)
{
	return g->by_samples ? n->samples_total : n->total;
}

/* XML text: escaped, control characters but line breaks dropped. */
static void xml(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			/* A title's line breaks are the tooltip's. */
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

/* A warm colour that is the same for a name in every graph. */
static void colour(FILE *f, const char *name)
{
	uint64_t h = cp_hash_bytes(name, strlen(name));

	fprintf(f, "hsl(%u,%u%%,%u%%)", (unsigned)(h % 50),
		70 + (unsigned)((h >> 8) % 25),
		55 + (unsigned)((h >> 16) % 15));
}

static double y_of(const struct fg *g, uint32_t depth)
{
	return g->icicle ? HEAD_H + (double)depth * FRAME_H
			 : HEAD_H + (double)(g->maxdepth - depth) * FRAME_H;
}

static void box(struct fg *g, double x, uint32_t depth, uint64_t v,
		const char *label, const char *fill_name, const char *tip)
{
	double w = (double)v * g->scale;
	FILE *f = g->f;

	fprintf(f, "<g class=\"f\" data-x=\"%.3f\" data-w=\"%.3f\"><title>", x,
		w);
	xml(f, tip);
	fprintf(f,
		"</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
		"height=\"%d\" rx=\"2\" fill=\"",
		PAD + x, y_of(g, depth), w, FRAME_H - 1);
	colour(f, fill_name);
	fprintf(f, "\"/><text x=\"%.2f\" y=\"%.1f\">", PAD + x + 3,
		y_of(g, depth) + FRAME_H - 4);
	if (w >= LABEL_PX) {
		size_t fit = (size_t)((w - 6) / CHAR_PX), len = strlen(label);

		if (len <= fit) {
			xml(f, label);
		} else if (fit > 2) {
			char *cut = xstrdup(label);

			cut[fit - 2] = '\0';
			xml(f, cut);
			fputs("..", f);
			free(cut);
		}
	}
	fputs("</text></g>\n", f);
}

/* A node's tooltip: calls, self, total and the counters. */
static void tip_of(const struct fg *g, uint32_t id, char *buf, size_t len)
{
	const struct cp_cct_node *n = cp_cct_node(g->t, id);
	const struct cp_profile *p = g->p;
	const uint64_t *c = cp_cct_node_counts(g->t, id);
	size_t k = p->ncounters, off;
	char a[32], b[32];

	off = (size_t)snprintf(buf, len, "%s\ncalls %" PRIu64,
			       p->funcs[n->func].name, n->calls);
	if (g->by_samples || n->samples_total > 0)
		off += (size_t)snprintf(buf + off, len - off,
					", samples %" PRIu64 " self, %" PRIu64
					" total",
					n->samples, n->samples_total);
	if (off < len && !g->by_samples)
		off += (size_t)snprintf(
			buf + off, len - off, "\nself %s, total %s (%.2f%%)",
			cp_format_ns(a, sizeof a, n->self),
			cp_format_ns(b, sizeof b, n->total),
			g->whole ? 100.0 * (double)n->total / (double)g->whole
				 : 0.0);
	for (size_t j = 0; j < k && off < len; j++)
		off += (size_t)snprintf(
			buf + off, len - off, "\n%s self %s, total %s",
			p->counters[j].name, cp_format_count(a, sizeof a, c[j]),
			cp_format_count(b, sizeof b, c[k + j]));
}

/* Draw the children of PARENT (CP_CCT_NONE: the roots) from X on. */
struct todo {
	uint32_t id;
	double x;
};

static void draw(struct fg *g)
{
	struct todo *st = NULL;
	size_t n = 0, cap = 0;
	char tip[1024], label[64];
	uint32_t first = cp_cct_first_root(g->t);

	/* The roots are one sibling list; every list is laid out alike. */
	st = xgrow(st, &cap, 1, sizeof *st);
	st[n++] = (struct todo){CP_CCT_NONE, 0};
	while (n > 0) {
		struct todo td = st[--n];
		uint32_t c = td.id == CP_CCT_NONE
				     ? first
				     : cp_cct_node(g->t, td.id)->first_child;
		double x = td.x, mx = 0;
		uint64_t mv = 0, mn = 0;
		uint32_t depth = 0;

		for (; c != CP_CCT_NONE;
		     c = cp_cct_node(g->t, c)->next_sibling) {
			const struct cp_cct_node *cn = cp_cct_node(g->t, c);
			uint64_t v = value(g, cn);

			depth = cn->depth;
			if (v == 0)
				continue;
			if ((double)v * g->scale < MIN_PX) {
				if (mn++ == 0)
					mx = x;
				mv += v;
				x += (double)v * g->scale;
				continue;
			}
			tip_of(g, c, tip, sizeof tip);
			box(g, x, cn->depth, v, g->p->funcs[cn->func].name,
			    g->p->funcs[cn->func].name, tip);
			g->drawn++;
			st = xgrow(st, &cap, n + 1, sizeof *st);
			st[n++] = (struct todo){c, x};
			x += (double)v * g->scale;
		}
		if (mn > 0 && (double)mv * g->scale >= MIN_PX) {
			snprintf(label, sizeof label, "[%" PRIu64 " contexts]",
				 mn);
			snprintf(tip, sizeof tip,
				 "%" PRIu64 " calling contexts, each narrower "
				 "than %.1f pixels, merged\n%.2f%% of the run",
				 mn, MIN_PX,
				 100.0 * (double)mv / (double)g->whole);
			box(g, mx, depth, mv, label, "[merged]", tip);
		}
		g->merged += mn;
	}
	free(st);
}

/* Scripts and styles of the page: its own, inline. */
static const char style[] =
	"<style>\n"
	"svg{background:#fff;font:11px sans-serif}\n"
	".h{fill:#222}.s{fill:#555;font-size:11px}\n"
	".f text{fill:#111;pointer-events:none}\n"
	".f rect{stroke:#fff;stroke-width:.5}\n"
	".f:hover rect{stroke:#000;stroke-width:1}\n"
	".m rect{fill:#e040e0}\n"
	".b{cursor:pointer}.b rect{fill:#ddd}.b text{fill:#222}\n"
	"@media (prefers-color-scheme:dark){svg{background:#1b1b1b}\n"
	".h{fill:#eee}.s{fill:#bbb}.f rect{stroke:#1b1b1b}\n"
	".b rect{fill:#444}.b text{fill:#eee}}\n"
	"</style>\n";

/* clang-format off: the page's lines, one C string each. */
static const char script[] =
	"<script><![CDATA[\n"
	"(function(){\n"
	"var W=" STR(WIDTH) ",P=" STR(PAD) ",L=" STR(LABEL_PX) ",C=" STR(
		CHAR_PX) ";\n"
			 "var "
			 "gs=[].slice.call(document.querySelectorAll('g.f'));\n"
			 "var info=document.getElementById('info');\n"
			 "var "
			 "icicle=document.documentElement.getAttribute('data-"
			 "icicle')==='1';\n"
			 "gs.forEach(function(g){\n"
			 " g.full=g.querySelector('title').textContent.split('"
			 "\\n')[0];\n"
			 " g.x=+g.getAttribute('data-x');g.w=+g.getAttribute('"
			 "data-w');\n"
			 " g.y=+g.querySelector('rect').getAttribute('y');\n"
			 " g.addEventListener('click',function(){zoom(g);});});"
			 "\n"
			 "function label(g,w){var "
			 "t=g.querySelector('text'),n=g.full,f=Math.floor((w-6)"
			 "/C);\n"
			 " t.textContent=w<L?'':n.length<=f?n:f>2?n.slice(0,f-"
			 "2)+'..':'';}\n"
			 "function show(x0,w0,y0){var s=W/w0;\n"
			 " gs.forEach(function(g){var "
			 "r=g.querySelector('rect'),t=g.querySelector('text');"
			 "\n"
			 "  var "
			 "out=g.x+g.w<=x0||g.x>=x0+w0||(icicle?g.y<y0:g.y>y0);"
			 "\n"
			 "  g.style.display=out?'none':'';if(out)return;\n"
			 "  var "
			 "x=Math.max(g.x,x0),e=Math.min(g.x+g.w,x0+w0),w=(e-x)*"
			 "s;\n"
			 "  "
			 "r.setAttribute('x',P+(x-x0)*s);r.setAttribute('width'"
			 ",w);\n"
			 "  t.setAttribute('x',P+(x-x0)*s+3);label(g,w);});}\n"
			 "function "
			 "zoom(g){show(g.x,g.w,g.y);info.textContent='zoomed: "
			 "'+g.full;}\n"
			 "function "
			 "reset(){show(0,W,icicle?0:1e9);info.textContent='';}"
			 "\n"
			 "function search(q){if(typeof "
			 "q!=='string')q=prompt('Search (regular "
			 "expression)');\n"
			 " var re;try{re=new RegExp(q);}catch(e){return;}\n"
			 " var x=[];gs.forEach(function(g){var "
			 "m=!!q&&re.test(g.full);\n"
			 "  "
			 "g.classList.toggle('m',m);if(m)x.push([g.x,g.x+g.w]);"
			 "});\n"
			 " x.sort(function(a,b){return a[0]-b[0];});var "
			 "s=0,e=-1;\n"
			 " x.forEach(function(r){if(r[0]>=e){s+=r[1]-r[0];e=r["
			 "1];}else if(r[1]>e){s+=r[1]-e;e=r[1];}});\n"
			 " info.textContent=q?'matched: "
			 "'+(100*s/W).toFixed(2)+'%':'';}\n"
			 "document.getElementById('reset').addEventListener('"
			 "click',reset);\n"
			 "document.getElementById('search').addEventListener('"
			 "click',search);\n"
			 "document.addEventListener('keydown',function(e){if(e."
			 "key==='Escape')reset();\n"
			 " if((e.ctrlKey||e.metaKey)&&e.key==='f'){e."
			 "preventDefault();search();}});\n"
			 "var "
			 "h=decodeURIComponent(location.hash.slice(1)),i=h."
			 "indexOf('=');\n"
			 "if(h.slice(0,i)==='zoom'){var "
			 "z=gs.filter(function(g){return "
			 "g.full===h.slice(i+1);})[0];if(z)zoom(z);}\n"
			 "if(h.slice(0,i)==='search')search(h.slice(i+1));\n"
			 "})();\n"
			 "]]></script>\n";
/* clang-format on */

int cp_export_flamegraph(struct cp_profile *p, const char *run,
			 const struct cp_export_opts *o, struct cp_xout *out)
{
	struct fg g;
	uint64_t samples = 0;
	double height;
	char a[32];
	FILE *f;

	memset(&g, 0, sizeof g);
	g.p = p;
	g.icicle = o->icicle;
	p->want_cct = 1;
	if (cp_profile_load(p, run) != 0)
		return -1;
	g.t = p->cct;
	for (size_t i = 0; i < p->nfuncs; i++)
		samples += p->funcs[i].samples;
	g.by_samples = p->total_self_ns == 0 && samples > 0;
	for (uint32_t r = g.t ? cp_cct_first_root(g.t) : CP_CCT_NONE;
	     r != CP_CCT_NONE; r = cp_cct_node(g.t, r)->next_sibling)
		g.whole += value(&g, cp_cct_node(g.t, r));
	for (size_t i = 0; g.t != NULL && i < cp_cct_nnodes(g.t); i++) {
		const struct cp_cct_node *n = cp_cct_node(g.t, (uint32_t)i);

		/* Only boxes that can be drawn make the graph taller. */
		if (n->depth > g.maxdepth && g.whole > 0 &&
		    (double)value(&g, n) * WIDTH / (double)g.whole >= MIN_PX)
			g.maxdepth = n->depth;
	}
	g.scale = g.whole ? (double)WIDTH / (double)g.whole : 0;
	height = HEAD_H + (double)(g.maxdepth + 1) * FRAME_H + PAD;
	f = g.f = cp_xout_file(out);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"data-icicle=\"%d\">\n",
		WIDTH + 2 * PAD, height, WIDTH + 2 * PAD, height, g.icicle);
	fputs(style, f);
	fprintf(f, "<text class=\"h\" x=\"%d\" y=\"18\" font-size=\"15\">",
		PAD);
	xml(f, "cprof flame graph");
	/* The command, its program by name only, cut to fit the line. */
	if (p->argv != NULL && p->argv[0] != NULL) {
		const char *slash = strrchr(p->argv[0], '/');
		size_t len = 0;

		fputs(": ", f);
		xml(f, slash != NULL ? slash + 1 : p->argv[0]);
		for (char **v = p->argv + 1; *v != NULL && len < 100; v++) {
			fputc(' ', f);
			xml(f, *v);
			len += strlen(*v) + 1;
		}
	}
	fprintf(f, "</text>\n<text class=\"s\" x=\"%d\" y=\"34\">", PAD);
	if (g.by_samples)
		fprintf(f, "widths: samples (%" PRIu64 ")", g.whole);
	else
		fprintf(f, "widths: total time (%s)",
			cp_format_ns(a, sizeof a, g.whole));
	fputs("; click a box to zoom, Esc or Reset zoom to go back, Search "
	      "(Ctrl-F) to highlight</text>\n",
	      f);
	fprintf(f, "<text class=\"s\" id=\"info\" x=\"%d\" y=\"50\"></text>\n",
		WIDTH + PAD - 300);
	fprintf(f,
		"<g class=\"b\" id=\"reset\"><rect x=\"%d\" y=\"6\" "
		"width=\"80\" height=\"18\" rx=\"3\"/><text x=\"%d\" "
		"y=\"19\">Reset zoom</text></g>\n"
		"<g class=\"b\" id=\"search\"><rect x=\"%d\" y=\"6\" "
		"width=\"60\" height=\"18\" rx=\"3\"/><text x=\"%d\" "
		"y=\"19\">Search</text></g>\n",
		WIDTH + PAD - 150, WIDTH + PAD - 143, WIDTH + PAD - 60,
		WIDTH + PAD - 51);
	if (g.t != NULL && g.whole > 0)
		draw(&g);
	fprintf(f,
		"<text class=\"s\" x=\"%d\" y=\"50\">%" PRIu64
		" boxes; %" PRIu64 " calling contexts narrower than %.1f "
		"pixels merged</text>\n",
		PAD, g.drawn, g.merged, MIN_PX);
	fputs(script, f);
	fputs("</svg>\n", f);
	return 0;
}
