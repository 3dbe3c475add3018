/* floats.c - printf and strtod of floats and doubles: wasi-libc's formatting
 * must come out byte for byte as under node, and every value must read back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const double v[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-300, 2.2250738585072014e-308, 4.9e-324,
                        1.7976931348623157e308, 123456789.125, 0.1, 1.0 / 3.0, INFINITY, -INFINITY, NAN};
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        printf("%f|%e|%g|%a|%.17g|%10.3f|%-12.4e|\n", v[i], v[i], v[i], v[i], v[i], v[i], v[i]);
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", v[i]);
        double back = strtod(buf, NULL);
        printf("  round trip %s\n", (back == v[i] || (isnan(back) && isnan(v[i]))) ? "ok" : "CHANGED");
    }
    const float f[] = {1.1f, -2.5e-10f, 3.4028235e38f, 1.17549435e-38f};
    for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
        printf("float %.9g %a\n", (double)f[i], (double)f[i]);
    printf("math %.17g %.17g %.17g %.17g\n", sqrt(2.0), exp(1.0), log(10.0), sin(1.0));
    printf("strtod %.17g %.17g %.17g\n", strtod("0x1.8p3", NULL), strtod("1e400", NULL), strtod("-7.25e-2", NULL));
    return 0;
}
