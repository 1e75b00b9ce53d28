/* Must NOT compile: receiving a typed int channel into a long.  The test
 * passes on the compiler's incompatible-pointer diagnostic. */
#include <goc.h>

GOC_CHAN_TYPE(intch, int);

long wrong(intch ch)
{
    long l;
    intch_recv(ch, &l);
    return l;
}
