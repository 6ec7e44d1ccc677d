/*
 * afmp: strict unit parsers (see units.h for the accepted forms).
 */
#include "sim/units.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *suffix;
    uint64_t scale; /* base units per one of this unit; 0: refused (ambiguous) */
};

static const struct unit time_units[] = {
    {"ns", 1},
    {"us", UINT64_C(1000)},
    {"ms", UINT64_C(1000000)},
    {"s", UINT64_C(1000000000)},
};

/* "bps" style spellings are refused: tc reads "mbps" as megabytes/s while
 * most people mean megabits/s. */
static const struct unit rate_units[] = {
    {"bit", 1},
    {"kbit", UINT64_C(1000)},
    {"Mbit", UINT64_C(1000000)},
    {"Gbit", UINT64_C(1000000000)},
    {"bit/s", 1},
    {"kbit/s", UINT64_C(1000)},
    {"Mbit/s", UINT64_C(1000000)},
    {"Gbit/s", UINT64_C(1000000000)},
    {"bps", 0}, {"kbps", 0}, {"Kbps", 0}, {"mbps", 0}, {"Mbps", 0}, {"gbps", 0}, {"Gbps", 0},
    {"Kbit", 0}, {"k", 0}, {"K", 0}, {"M", 0}, {"G", 0},
};

/* SI prefixes are powers of 1000 and IEC prefixes powers of 1024; "kb"
 * (Linux tc: 1024 bytes) and "Mb" (bits?) are refused. */
static const struct unit size_units[] = {
    {"B", 1},
    {"kB", UINT64_C(1000)},
    {"KB", UINT64_C(1000)},
    {"MB", UINT64_C(1000000)},
    {"GB", UINT64_C(1000000000)},
    {"KiB", UINT64_C(1024)},
    {"MiB", UINT64_C(1048576)},
    {"GiB", UINT64_C(1073741824)},
    {"b", 0}, {"kb", 0}, {"Kb", 0}, {"mb", 0}, {"Mb", 0}, {"gb", 0}, {"Gb", 0},
    {"k", 0}, {"K", 0}, {"M", 0}, {"G", 0}, {"kiB", 0}, {"KIB", 0},
};

static const struct unit ppm_units[] = {
    {"%", UINT64_C(10000)},
    {"ppm", 1},
};

static const struct unit packet_units[] = {
    {"p", 1},
};

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * The common reader: DIGITS [ "." DIGITS ] UNIT, exact in the base unit.
 * The fraction f with d digits contributes f * scale / 10^d, which must be an
 * integer. Dividing scale and 10^d by their gcd first keeps every product
 * below |scale|, so only the integer part can overflow.
 */
static int parse_scaled(const char *s, const struct unit *units, size_t n_units, uint64_t max,
                        uint64_t *out, const struct unit **which)
{
    const char *p = s;
    uint64_t ip = 0, frac = 0, pow10 = 1;
    unsigned fd = 0;

    if (!s || !*s)
        return MP_UNITS_EEMPTY;
    if (*p == '-')
        return MP_UNITS_ENEGATIVE;
    if (!g_ascii_isdigit(*p))
        return MP_UNITS_ESYNTAX;
    while (g_ascii_isdigit(*p)) {
        if (!g_uint64_checked_mul(&ip, ip, 10) || !g_uint64_checked_add(&ip, ip, (uint64_t)(*p - '0')))
            return MP_UNITS_ERANGE;
        p++;
    }
    if (*p == '.') {
        const char *fs = ++p, *fe;
        if (!g_ascii_isdigit(*p))
            return MP_UNITS_ESYNTAX;
        while (g_ascii_isdigit(*p))
            p++;
        fe = p;
        while (fe > fs && fe[-1] == '0') /* "1.50ms" is "1.5ms" */
            fe--;
        if (fe - fs > 18)
            return MP_UNITS_EPRECISION;
        for (const char *q = fs; q < fe; q++) {
            frac = frac * 10 + (uint64_t)(*q - '0');
            pow10 *= 10;
            fd++;
        }
    }
    if (*p == '\0')
        return MP_UNITS_ENOUNIT;
    if (g_ascii_isspace(*p))
        return MP_UNITS_ESPACE;
    if (*p == 'e' || *p == 'E') {
        /* "1e3ms" is an exponent, not a unit named "e3ms". */
        if (g_ascii_isdigit(p[1]) || ((p[1] == '-' || p[1] == '+') && g_ascii_isdigit(p[2])))
            return MP_UNITS_ESYNTAX;
    }

    const struct unit *u = NULL;
    for (size_t i = 0; i < n_units; i++)
        if (strcmp(p, units[i].suffix) == 0)
            u = &units[i];
    if (!u)
        return MP_UNITS_EUNIT;
    if (u->scale == 0)
        return MP_UNITS_EAMBIGUOUS;

    uint64_t v;
    if (!g_uint64_checked_mul(&v, ip, u->scale))
        return MP_UNITS_ERANGE;
    if (fd > 0) {
        uint64_t g = gcd64(u->scale, pow10);
        uint64_t sn = u->scale / g, dn = pow10 / g;
        if (frac % dn != 0)
            return MP_UNITS_EPRECISION;
        if (!g_uint64_checked_add(&v, v, (frac / dn) * sn))
            return MP_UNITS_ERANGE;
    }
    if (v > max)
        return MP_UNITS_ERANGE;
    *out = v;
    if (which)
        *which = u;
    return 0;
}

int mp_units_parse_time(const char *s, mp_time_t *out)
{
    uint64_t v;
    int rc = parse_scaled(s, time_units, MP_ARRAY_LEN(time_units), UINT64_MAX - 1, &v, NULL);
    if (rc == 0)
        *out = v;
    return rc;
}

int mp_units_parse_rate(const char *s, uint64_t *out)
{
    return parse_scaled(s, rate_units, MP_ARRAY_LEN(rate_units), UINT64_MAX, out, NULL);
}

int mp_units_parse_size(const char *s, uint64_t *out)
{
    return parse_scaled(s, size_units, MP_ARRAY_LEN(size_units), UINT64_MAX, out, NULL);
}

int mp_units_parse_queue(const char *s, struct mp_units_queue *out)
{
    uint64_t v;
    int rc = parse_scaled(s, packet_units, MP_ARRAY_LEN(packet_units), UINT32_MAX, &v, NULL);
    if (rc == MP_UNITS_EPRECISION)
        return rc; /* "1.5p" */
    if (rc == 0) {
        out->limit = v;
        out->bytes = false;
        return 0;
    }
    if (rc != MP_UNITS_EUNIT)
        return rc;
    rc = mp_units_parse_size(s, &v);
    if (rc == 0) {
        out->limit = v;
        out->bytes = true;
    }
    return rc;
}

int mp_units_parse_ppm(const char *s, uint32_t *out)
{
    uint64_t v;
    int rc = parse_scaled(s, ppm_units, MP_ARRAY_LEN(ppm_units), 1000000, &v, NULL);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

int mp_units_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;

    if (!s || !*s)
        return MP_UNITS_EEMPTY;
    if (*p == '-')
        return MP_UNITS_ENEGATIVE;
    if (!g_ascii_isdigit(*p))
        return MP_UNITS_ESYNTAX;
    while (g_ascii_isdigit(*p)) {
        if (!g_uint64_checked_mul(&v, v, 10) || !g_uint64_checked_add(&v, v, (uint64_t)(*p - '0')))
            return MP_UNITS_ERANGE;
        p++;
    }
    if (*p == '.')
        return MP_UNITS_ESYNTAX;
    if (*p)
        return g_ascii_isspace(*p) ? MP_UNITS_ESPACE : MP_UNITS_EUNIT;
    if (v > max)
        return MP_UNITS_ERANGE;
    *out = v;
    return 0;
}

int mp_units_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes"};
    static const char *const no[] = {"off", "false", "no"};

    if (!s || !*s)
        return MP_UNITS_EEMPTY;
    for (size_t i = 0; i < MP_ARRAY_LEN(yes); i++) {
        if (g_ascii_strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (g_ascii_strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return MP_UNITS_ESYNTAX;
}

const char *mp_units_strerror(int err)
{
    switch (err) {
    case 0:
        return "no error";
    case MP_UNITS_EEMPTY:
        return "empty value";
    case MP_UNITS_ESYNTAX:
        return "not a number in the expected form";
    case MP_UNITS_ENOUNIT:
        return "the unit is missing";
    case MP_UNITS_EUNIT:
        return "unknown unit or trailing characters";
    case MP_UNITS_ERANGE:
        return "out of range";
    case MP_UNITS_ENEGATIVE:
        return "negative values are not allowed";
    case MP_UNITS_EPRECISION:
        return "more decimals than the base unit resolves";
    case MP_UNITS_ESPACE:
        return "no space is allowed between the number and its unit";
    case MP_UNITS_EAMBIGUOUS:
        return "this unit spelling is ambiguous and refused";
    default:
        return "unknown error";
    }
}

/* Writes v / scale exactly, with as many decimals as needed, then |suffix|. */
static int format_scaled(uint64_t v, uint64_t scale, const char *suffix, char *buf, size_t len)
{
    uint64_t ip = v / scale, rem = v % scale;
    char frac[24];
    size_t n = 0;

    if (rem) {
        for (uint64_t d = scale / 10; d > 0 && rem; d /= 10) {
            frac[n++] = (char)('0' + rem / d);
            rem %= d;
        }
    }
    frac[n] = '\0';
    if (n)
        return snprintf(buf, len, "%" G_GUINT64_FORMAT ".%s%s", ip, frac, suffix);
    return snprintf(buf, len, "%" G_GUINT64_FORMAT "%s", ip, suffix);
}

int mp_units_format_time(mp_time_t t, char *buf, size_t len)
{
    if (t == MP_TIME_NEVER)
        return snprintf(buf, len, "never");
    if (t == 0)
        return snprintf(buf, len, "0s");
    /* The largest unit not above the value, with as many decimals as it
     * takes to stay exact ("11.00090464s", not "11000904.64us"). */
    for (size_t i = MP_ARRAY_LEN(time_units); i-- > 0;) {
        uint64_t sc = time_units[i].scale;
        if (t >= sc)
            return format_scaled(t, sc, time_units[i].suffix, buf, len);
    }
    return format_scaled(t, 1, "ns", buf, len);
}

int mp_units_format_rate(uint64_t bps, char *buf, size_t len)
{
    if (bps == 0)
        return snprintf(buf, len, "0bit");
    for (size_t i = 4; i-- > 0;) {
        uint64_t sc = rate_units[i].scale;
        if (bps >= sc)
            return format_scaled(bps, sc, rate_units[i].suffix, buf, len);
    }
    return format_scaled(bps, 1, "bit", buf, len);
}
