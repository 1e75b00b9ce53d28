/* select_fair.c — goc_select picks uniformly among ready cases.  Four
 * always-ready buffered channels (and a NULL case), many selects; the
 * counts must pass a chi-square test with 3 degrees of freedom at a very
 * generous bound (p < 1e-6 gives 30.7; we allow 40), and no case may be
 * starved.  Also the two-ready-of-four case, and twenty ready cases (the
 * shuffle draws more than one random number past twelve cases: chi-square
 * with 19 degrees of freedom, p < 1e-6 gives 58.7; we allow 75). */
#include <goc.h>
#include "testutil.h"

enum { K = 4 };

static double chi2(const long *cnt, int k, long total)
{
    double e = (double)total / k, x = 0;
    for (int i = 0; i < k; i++)
        x += (cnt[i] - e) * (cnt[i] - e) / e;
    return x;
}

static void main_fn(void *arg)
{
    (void)arg;
    long n = test_scaled(200000);
    if (n < 20000)
        n = 20000;
    goc_chan *c[K];
    int v = 1;
    goc_case cs[K + 1];
    for (int i = 0; i < K; i++) {
        c[i] = goc_chan_make(sizeof(int), 1);
        CHECK(goc_chan_send(c[i], &v) == 0);
    }
    for (int i = 0; i < K; i++)
        cs[i + (i >= 2)] = (goc_case){ c[i], GOC_RECV, &v, 0 };
    cs[2] = (goc_case){ NULL, GOC_RECV, NULL, 0 };
    long cnt[K + 1] = { 0 };
    for (long i = 0; i < n; i++) {
        int k = goc_select(cs, K + 1, 1);
        CHECK(k >= 0 && k <= K && k != 2);
        cnt[k]++;
        CHECK(goc_chan_send(cs[k].chan, &v) == 0);   /* ready again */
    }
    long four[K] = { cnt[0], cnt[1], cnt[3], cnt[4] };
    double x = chi2(four, K, n);
    CHECKF(x < 40.0, "chi2 %.1f: %ld %ld %ld %ld", x, four[0], four[1], four[2], four[3]);

    /* two of four ready: only those are chosen, evenly */
    CHECK(goc_chan_recv(c[1], NULL) == 0);
    CHECK(goc_chan_recv(c[3], NULL) == 0);
    long two[2] = { 0, 0 };
    for (long i = 0; i < n; i++) {
        int k = goc_select(cs, K + 1, 0);
        CHECK(k == 0 || k == 3);
        two[k == 3]++;
        CHECK(goc_chan_send(cs[k].chan, &v) == 0);
    }
    x = chi2(two, 2, n);
    CHECKF(x < 30.0, "chi2 %.1f: %ld %ld", x, two[0], two[1]);
    for (int i = 0; i < K; i++)
        goc_chan_free(c[i]);

    enum { W = 20 };
    goc_chan *w[W];
    goc_case ws[W];
    for (int i = 0; i < W; i++) {
        w[i] = goc_chan_make(sizeof(int), 1);
        CHECK(goc_chan_send(w[i], &v) == 0);
        ws[i] = (goc_case){ w[i], GOC_RECV, &v, 0 };
    }
    long wc[W] = { 0 };
    long nw = n * 2;
    for (long i = 0; i < nw; i++) {
        int k = goc_select(ws, W, 1);
        CHECK(k >= 0 && k < W);
        wc[k]++;
        CHECK(goc_chan_send(w[k], &v) == 0);
    }
    x = chi2(wc, W, nw);
    CHECKF(x < 75.0, "chi2 %.1f over %d cases: first %ld last %ld", x, W, wc[0], wc[W - 1]);
    for (int i = 0; i < W; i++)
        goc_chan_free(w[i]);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
