# Echoes the parsed input back as the failure message, so the differential test reads conftest's document
# for inputs `conftest parse` cannot take options for (textproto's --proto-file-dirs).
package main

deny contains json.marshal(input)
