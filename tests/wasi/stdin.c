/* stdin.c - reads all of stdin: counts lines and bytes, echoes each line
 * upper-cased with its number, and reports end of file. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    char line[256];
    long lines = 0, bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        for (char *p = line; *p; p++) {
            bytes++;
            *p = (char)toupper((unsigned char)*p);
        }
        printf("%ld: %s", lines, line);
    }
    printf("\n%ld lines, %ld bytes, eof %d\n", lines, bytes, feof(stdin) != 0);
    return 0;
}
