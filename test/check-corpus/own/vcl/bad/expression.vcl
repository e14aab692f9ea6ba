backend x {
  .weight = a + b;
}
