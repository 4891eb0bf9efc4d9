/*
 * ratelimit.c — per-principal token buckets.  Each principal has a bucket
 * of `burst` tokens refilled at `rate` per second; a request takes one or
 * is refused (429).  Buckets live in a fixed open-addressed table of
 * SRV_RL_SLOTS entries (bounded memory whatever the number of principals);
 * when the table is full, newcomers share its last slot, which can only
 * make limiting stricter, never looser.  One mutex: the critical section
 * is a few arithmetic operations.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

int srv_ratelimit_init(srv_ratelimit *rl, double rate, double burst)
{
    rl->rate = rate;
    rl->burst = burst < 1 ? 1 : burst;
    rl->slots = calloc(SRV_RL_SLOTS, sizeof *rl->slots);
    if (!rl->slots)
        return WR_ENOMEM;
    pthread_mutex_init(&rl->lock, NULL);
    return WR_OK;
}

void srv_ratelimit_free(srv_ratelimit *rl)
{
    if (!rl->slots)
        return;
    free(rl->slots);
    rl->slots = NULL;
    pthread_mutex_destroy(&rl->lock);
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

int srv_ratelimit_take(srv_ratelimit *rl, const char *key, int64_t now_us)
{
    if (rl->rate <= 0)
        return 1;
    pthread_mutex_lock(&rl->lock);
    uint32_t h = fnv1a(key) % (SRV_RL_SLOTS - 1);
    srv_bucket *b = NULL;
    for (uint32_t i = 0; i < SRV_RL_SLOTS - 1; i++) {
        srv_bucket *c = &rl->slots[(h + i) % (SRV_RL_SLOTS - 1)];
        if (!c->key[0]) {
            snprintf(c->key, sizeof c->key, "%s", key);
            c->tokens = rl->burst;
            c->last_us = now_us;
            b = c;
            break;
        }
        if (strncmp(c->key, key, sizeof c->key - 1) == 0) {
            b = c;
            break;
        }
    }
    if (!b) {
        b = &rl->slots[SRV_RL_SLOTS - 1];
        if (!b->key[0]) {
            snprintf(b->key, sizeof b->key, "*");
            b->tokens = rl->burst;
            b->last_us = now_us;
        }
    }
    double t = b->tokens + (double)(now_us - b->last_us) / 1e6 * rl->rate;
    b->tokens = t > rl->burst ? rl->burst : t;
    b->last_us = now_us;
    int ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
