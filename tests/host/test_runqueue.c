// SPDX-License-Identifier: MIT
/* Tests of the ready queues (kernel/runqueue.c): per-priority FIFOs, the bitmap, rq_highest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runqueue.h"

#define NLINKS  64

/* A run queue and the links (threads) the tests queue on it. */
struct fixture {
    struct runqueue rq;
    struct rq_link l[NLINKS];
};

static int
setup(void **state)
{
    struct fixture *f = malloc(sizeof(*f));
    if (!f)
        return -1;
    memset(&f->rq, 0xa5, sizeof(f->rq));    /* rq_init must clear everything */
    memset(f->l, 0, sizeof(f->l));
    rq_init(&f->rq);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    free(*state);
    return 0;
}

static bool
bit_set(const struct runqueue *rq, unsigned prio)
{
    return rq->bitmap[prio / 64] >> (prio % 64) & 1;
}

/* rq_check, plus: a link is queued exactly when it sits in some queue (found by walking). */
static void
check_rq(const struct fixture *f)
{
    const char *err = rq_check(&f->rq);
    if (err)
        fail_msg("rq_check: %s", err);
    unsigned in_queues = 0;
    for (unsigned p = 0; p < RQ_PRIOS; p++)
        for (const struct rq_link *l = f->rq.head[p]; l; l = l->next)
            in_queues++;
    unsigned flagged = 0;
    for (unsigned i = 0; i < NLINKS; i++) {
        const struct rq_link *l = &f->l[i];
        if (l->queued)
            flagged++;
        else
            assert_true(l->next == NULL && l->prev == NULL);
    }
    assert_int_equal(in_queues, flagged);
}

/* Assert queue prio holds exactly the n links given, in order, linked both ways. */
static void
assert_queue(const struct fixture *f, unsigned prio, unsigned n, struct rq_link *const *want)
{
    check_rq(f);
    const struct rq_link *l = f->rq.head[prio], *prev = NULL;
    for (unsigned i = 0; i < n; i++, prev = l, l = l->next) {
        assert_ptr_equal(l, want[i]);
        assert_ptr_equal(l->prev, prev);
        assert_true(l->queued);
    }
    assert_null(l);
    assert_ptr_equal(f->rq.tail[prio], prev);
    assert_int_equal(bit_set(&f->rq, prio), n > 0);
}

#define QUEUE(...) \
    (sizeof((struct rq_link *[]){ __VA_ARGS__ }) / sizeof(struct rq_link *)), \
    (struct rq_link *[]){ __VA_ARGS__ }

static void
rq_init_gives_empty_queues(void **state)
{
    struct fixture *f = *state;
    check_rq(f);
    assert_int_equal(rq_highest(&f->rq), -1);
    for (unsigned w = 0; w < RQ_WORDS; w++)
        assert_int_equal(f->rq.bitmap[w], 0);
    for (unsigned p = 0; p < RQ_PRIOS; p++)
        assert_queue(f, p, 0, NULL);
}

/* The bitmap words meet at 63/64 and 127/128; each end of each word must be found. */
static void
rq_highest_finds_a_lone_link_at_each_word_boundary(void **state)
{
    struct fixture *f = *state;
    static const unsigned prios[] = { 0, 63, 64, 127, 128, 191, 192, 255 };
    for (unsigned i = 0; i < ARRAY_SIZE(prios); i++) {
        rq_push_tail(&f->rq, &f->l[0], prios[i]);
        check_rq(f);
        assert_int_equal(rq_highest(&f->rq), prios[i]);
        rq_remove(&f->rq, &f->l[0], prios[i]);
        check_rq(f);
        assert_int_equal(rq_highest(&f->rq), -1);
    }
}

static void
rq_highest_is_the_highest_nonempty_priority(void **state)
{
    struct fixture *f = *state;
    static const unsigned prios[] = { 0, 63, 64, 127, 128, 255 };
    for (unsigned i = 0; i < ARRAY_SIZE(prios); i++) {
        rq_push_tail(&f->rq, &f->l[i], prios[i]);
        check_rq(f);
        assert_int_equal(rq_highest(&f->rq), prios[i]);
    }
    for (unsigned i = ARRAY_SIZE(prios); i-- > 0;) {
        assert_int_equal(rq_highest(&f->rq), prios[i]);
        rq_remove(&f->rq, &f->l[i], prios[i]);
        check_rq(f);
    }
    assert_int_equal(rq_highest(&f->rq), -1);
}

/* Pushing a lower priority does not hide a higher one, in any order. */
static void
rq_highest_ignores_lower_priorities_pushed_later(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 128);
    rq_push_tail(&f->rq, &f->l[1], 127);
    rq_push_tail(&f->rq, &f->l[2], 0);
    rq_push_tail(&f->rq, &f->l[3], 64);
    check_rq(f);
    assert_int_equal(rq_highest(&f->rq), 128);
    rq_remove(&f->rq, &f->l[0], 128);
    check_rq(f);
    assert_int_equal(rq_highest(&f->rq), 127);
}

static void
rq_push_tail_keeps_fifo_order(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 10);
    assert_queue(f, 10, QUEUE(&f->l[0]));
    rq_push_tail(&f->rq, &f->l[1], 10);
    assert_queue(f, 10, QUEUE(&f->l[0], &f->l[1]));
    rq_push_tail(&f->rq, &f->l[2], 10);
    assert_queue(f, 10, QUEUE(&f->l[0], &f->l[1], &f->l[2]));
}

static void
rq_push_head_goes_before_the_queue(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 10);
    rq_push_tail(&f->rq, &f->l[1], 10);
    rq_push_head(&f->rq, &f->l[2], 10);
    assert_queue(f, 10, QUEUE(&f->l[2], &f->l[0], &f->l[1]));
    rq_push_head(&f->rq, &f->l[3], 10);
    assert_queue(f, 10, QUEUE(&f->l[3], &f->l[2], &f->l[0], &f->l[1]));
}

static void
rq_push_head_on_an_empty_queue_sets_head_tail_and_bit(void **state)
{
    struct fixture *f = *state;
    rq_push_head(&f->rq, &f->l[0], 200);
    assert_queue(f, 200, QUEUE(&f->l[0]));
    assert_int_equal(rq_highest(&f->rq), 200);
    rq_push_tail(&f->rq, &f->l[1], 200);
    assert_queue(f, 200, QUEUE(&f->l[0], &f->l[1]));
}

static void
rq_push_marks_the_link_queued(void **state)
{
    struct fixture *f = *state;
    assert_false(f->l[0].queued);
    rq_push_tail(&f->rq, &f->l[0], 5);
    assert_true(f->l[0].queued);
    rq_push_head(&f->rq, &f->l[1], 5);
    assert_true(f->l[1].queued);
    check_rq(f);
}

static void
rq_remove_clears_queued_and_links(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 5);
    rq_push_tail(&f->rq, &f->l[1], 5);
    rq_push_tail(&f->rq, &f->l[2], 5);
    rq_remove(&f->rq, &f->l[1], 5);
    assert_false(f->l[1].queued);
    assert_null(f->l[1].next);
    assert_null(f->l[1].prev);
    check_rq(f);
}

static void
rq_remove_of_the_head_makes_the_next_link_head(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 70);
    rq_push_tail(&f->rq, &f->l[1], 70);
    rq_push_tail(&f->rq, &f->l[2], 70);
    rq_remove(&f->rq, &f->l[0], 70);
    assert_queue(f, 70, QUEUE(&f->l[1], &f->l[2]));
    assert_int_equal(rq_highest(&f->rq), 70);
}

static void
rq_remove_of_a_middle_link_joins_its_neighbours(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 70);
    rq_push_tail(&f->rq, &f->l[1], 70);
    rq_push_tail(&f->rq, &f->l[2], 70);
    rq_remove(&f->rq, &f->l[1], 70);
    assert_queue(f, 70, QUEUE(&f->l[0], &f->l[2]));
    assert_int_equal(rq_highest(&f->rq), 70);
}

static void
rq_remove_of_the_tail_makes_the_previous_link_tail(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 70);
    rq_push_tail(&f->rq, &f->l[1], 70);
    rq_push_tail(&f->rq, &f->l[2], 70);
    rq_remove(&f->rq, &f->l[2], 70);
    assert_queue(f, 70, QUEUE(&f->l[0], &f->l[1]));
    rq_push_tail(&f->rq, &f->l[3], 70);                 /* the new tail is used */
    assert_queue(f, 70, QUEUE(&f->l[0], &f->l[1], &f->l[3]));
}

static void
rq_remove_of_the_only_link_empties_the_queue_and_clears_its_bit(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 70);
    rq_remove(&f->rq, &f->l[0], 70);
    assert_queue(f, 70, 0, NULL);
    assert_false(bit_set(&f->rq, 70));
    assert_int_equal(rq_highest(&f->rq), -1);
}

/* Emptying one queue clears only its own bit, not its neighbours' in the same word. */
static void
rq_remove_of_the_last_link_at_a_priority_keeps_other_bits(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 64);
    rq_push_tail(&f->rq, &f->l[1], 65);
    rq_push_tail(&f->rq, &f->l[2], 127);
    rq_push_tail(&f->rq, &f->l[3], 65);
    rq_remove(&f->rq, &f->l[2], 127);
    check_rq(f);
    assert_false(bit_set(&f->rq, 127));
    assert_true(bit_set(&f->rq, 64));
    assert_true(bit_set(&f->rq, 65));
    assert_int_equal(rq_highest(&f->rq), 65);
    rq_remove(&f->rq, &f->l[1], 65);                    /* 65 still holds l[3] */
    assert_queue(f, 65, QUEUE(&f->l[3]));
    assert_int_equal(rq_highest(&f->rq), 65);
    rq_remove(&f->rq, &f->l[3], 65);
    assert_queue(f, 65, 0, NULL);
    assert_queue(f, 64, QUEUE(&f->l[0]));
    assert_int_equal(rq_highest(&f->rq), 64);
}

/* Removing a link whose priority stays non-empty leaves the bit set. */
static void
rq_remove_from_a_longer_queue_keeps_its_bit(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 0);
    rq_push_tail(&f->rq, &f->l[1], 0);
    rq_remove(&f->rq, &f->l[0], 0);
    assert_queue(f, 0, QUEUE(&f->l[1]));
    assert_int_equal(rq_highest(&f->rq), 0);
}

static void
rq_queues_at_different_priorities_are_independent(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 3);
    rq_push_tail(&f->rq, &f->l[1], 4);
    rq_push_tail(&f->rq, &f->l[2], 3);
    rq_push_head(&f->rq, &f->l[3], 4);
    assert_queue(f, 3, QUEUE(&f->l[0], &f->l[2]));
    assert_queue(f, 4, QUEUE(&f->l[3], &f->l[1]));
    rq_remove(&f->rq, &f->l[0], 3);
    assert_queue(f, 3, QUEUE(&f->l[2]));
    assert_queue(f, 4, QUEUE(&f->l[3], &f->l[1]));
}

/* A removed link can be queued again, at another priority too. */
static void
rq_removed_link_can_be_queued_again(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 9);
    rq_push_tail(&f->rq, &f->l[1], 9);
    rq_remove(&f->rq, &f->l[0], 9);
    rq_push_tail(&f->rq, &f->l[0], 9);
    assert_queue(f, 9, QUEUE(&f->l[1], &f->l[0]));
    rq_remove(&f->rq, &f->l[0], 9);
    rq_push_head(&f->rq, &f->l[0], 250);
    assert_queue(f, 9, QUEUE(&f->l[1]));
    assert_queue(f, 250, QUEUE(&f->l[0]));
    assert_int_equal(rq_highest(&f->rq), 250);
}

/* Round robin as the scheduler does it: take the head, put it back at the tail. */
static void
rq_rotating_a_queue_cycles_through_its_links(void **state)
{
    struct fixture *f = *state;
    for (unsigned i = 0; i < 3; i++)
        rq_push_tail(&f->rq, &f->l[i], 100);
    for (unsigned round = 0; round < 6; round++) {
        struct rq_link *l = f->rq.head[100];
        assert_ptr_equal(l, &f->l[round % 3]);
        rq_remove(&f->rq, l, 100);
        rq_push_tail(&f->rq, l, 100);
        check_rq(f);
    }
    assert_queue(f, 100, QUEUE(&f->l[0], &f->l[1], &f->l[2]));
}

/* rq_check must notice what the tests rely on it for. */
static void
rq_check_reports_a_bit_without_a_queue(void **state)
{
    struct fixture *f = *state;
    f->rq.bitmap[1] |= 1;
    assert_non_null(rq_check(&f->rq));
}

static void
rq_check_reports_a_broken_back_link(void **state)
{
    struct fixture *f = *state;
    rq_push_tail(&f->rq, &f->l[0], 1);
    rq_push_tail(&f->rq, &f->l[1], 1);
    f->l[1].prev = NULL;
    assert_non_null(rq_check(&f->rq));
}

/* A reference model: each priority's queue as an array of link indices. */
struct model {
    unsigned len[RQ_PRIOS];
    unsigned char q[RQ_PRIOS][NLINKS];
    int prio_of[NLINKS];                    /* -1: not queued */
};

static void
model_remove(struct model *m, unsigned i)
{
    unsigned p = (unsigned)m->prio_of[i], k = 0;
    while (m->q[p][k] != i)
        k++;
    memmove(&m->q[p][k], &m->q[p][k + 1], m->len[p] - k - 1);
    m->len[p]--;
    m->prio_of[i] = -1;
}

static void
assert_matches_model(const struct fixture *f, const struct model *m)
{
    check_rq(f);
    int highest = -1;
    for (unsigned p = 0; p < RQ_PRIOS; p++) {
        const struct rq_link *l = f->rq.head[p];
        for (unsigned k = 0; k < m->len[p]; k++, l = l->next)
            assert_ptr_equal(l, &f->l[m->q[p][k]]);
        assert_null(l);
        if (m->len[p])
            highest = (int)p;
    }
    assert_int_equal(rq_highest(&f->rq), highest);
    for (unsigned i = 0; i < NLINKS; i++)
        assert_int_equal(f->l[i].queued, m->prio_of[i] >= 0);
}

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random pushes and removes (fixed seed), compared with the model after every step. The
 * priorities are drawn mostly from a few so that queues grow long, and sometimes from all. */
static void
rq_random_operations_match_a_reference_model(void **state)
{
    struct fixture *f = *state;
    static struct model m;
    static const unsigned few[] = { 0, 1, 63, 64, 65, 127, 128, 200, 255 };
    uint64_t seed = 0x2545f4914f6cdd1dull;
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < NLINKS; i++)
        m.prio_of[i] = -1;

    for (unsigned step = 0; step < 4000; step++) {
        uint64_t r = xorshift(&seed);
        unsigned i = r % NLINKS;
        r /= NLINKS;
        if (m.prio_of[i] >= 0) {
            rq_remove(&f->rq, &f->l[i], (unsigned)m.prio_of[i]);
            model_remove(&m, i);
        } else {
            unsigned p = r % 4 ? few[(r >> 2) % ARRAY_SIZE(few)] : (r >> 2) % RQ_PRIOS;
            if (r >> 20 & 1) {
                rq_push_head(&f->rq, &f->l[i], p);
                memmove(&m.q[p][1], &m.q[p][0], m.len[p]);
                m.q[p][0] = (unsigned char)i;
            } else {
                rq_push_tail(&f->rq, &f->l[i], p);
                m.q[p][m.len[p]] = (unsigned char)i;
            }
            m.len[p]++;
            m.prio_of[i] = (int)p;
        }
        assert_matches_model(f, &m);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(rq_init_gives_empty_queues),
        T(rq_highest_finds_a_lone_link_at_each_word_boundary),
        T(rq_highest_is_the_highest_nonempty_priority),
        T(rq_highest_ignores_lower_priorities_pushed_later),
        T(rq_push_tail_keeps_fifo_order),
        T(rq_push_head_goes_before_the_queue),
        T(rq_push_head_on_an_empty_queue_sets_head_tail_and_bit),
        T(rq_push_marks_the_link_queued),
        T(rq_remove_clears_queued_and_links),
        T(rq_remove_of_the_head_makes_the_next_link_head),
        T(rq_remove_of_a_middle_link_joins_its_neighbours),
        T(rq_remove_of_the_tail_makes_the_previous_link_tail),
        T(rq_remove_of_the_only_link_empties_the_queue_and_clears_its_bit),
        T(rq_remove_of_the_last_link_at_a_priority_keeps_other_bits),
        T(rq_remove_from_a_longer_queue_keeps_its_bit),
        T(rq_queues_at_different_priorities_are_independent),
        T(rq_removed_link_can_be_queued_again),
        T(rq_rotating_a_queue_cycles_through_its_links),
        T(rq_check_reports_a_bit_without_a_queue),
        T(rq_check_reports_a_broken_back_link),
        T(rq_random_operations_match_a_reference_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
