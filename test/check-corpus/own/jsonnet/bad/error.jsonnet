local check(x) = if x > 1 then error 'x too big: ' + x else x;
{ value: check(5) }
