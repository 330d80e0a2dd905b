#include "calibration.h"

namespace rwkv_edge::planner {

// Plain English of several registers (narrative, instructions, dialogue,
// numbers), written for this project and free of third-party rights. It only
// has to exercise typical activations; the evaluation texts are different.
const std::string& builtin_calibration_text() {
  static const std::string text =
      "The morning train to the coast was late again, and nobody on the platform seemed surprised. "
      "An old man folded his newspaper into a neat square and tucked it under his arm. Two students "
      "argued quietly about a mathematics problem, drawing triangles in the air with their fingers. "
      "When the train finally arrived, it was almost empty, and the air inside smelled of coffee and rain.\n\n"
      "How to bake simple bread: mix 500 grams of flour with 10 grams of salt and 7 grams of dry yeast. "
      "Add 320 millilitres of warm water and stir until no dry flour remains. Knead the dough for ten "
      "minutes, until it is smooth and springs back when you press it. Cover the bowl and let it rise "
      "for about an hour, or until it has doubled in size. Shape it into a loaf, let it rest for another "
      "thirty minutes, then bake at 230 degrees for 35 to 40 minutes.\n\n"
      "\"Do you think it will snow tonight?\" she asked.\n"
      "\"The forecast says maybe,\" he answered, looking at the grey sky. \"But they said that yesterday too.\"\n"
      "\"Then we should bring the chairs inside, just in case.\"\n"
      "\"You are right. I will get the blankets from the shed as well.\"\n\n"
      "The history of the small town is written in its buildings. The church on the hill was built in "
      "1742, after a fire destroyed the wooden chapel that stood there before. The school opened a century "
      "later, with one room, one teacher and twenty-three pupils. Today the old school houses a library "
      "and a museum, where visitors can see slates, ink wells and a map of the world drawn in 1869.\n\n"
      "Computers store numbers in binary. A byte holds eight bits, so it can represent 256 different "
      "values, from 0 to 255. Larger numbers need more bytes: two bytes give 65,536 values, and four "
      "bytes give more than four billion. Text is stored the same way, with each character mapped to a "
      "number by an agreed table, such as ASCII or Unicode.\n\n"
      "In the garden, the tomatoes were finally turning red. The beans had climbed past the top of their "
      "poles and were reaching for the fence. A blackbird watched from the apple tree, waiting for the "
      "moment the gardener would turn his back. Every summer it was the same game, and every summer the "
      "bird won at least a few of the strawberries.\n\n"
      "Meeting notes, Tuesday: (1) The budget for next year must be ready by the end of the month. "
      "(2) Maria will contact the supplier about the delayed parts. (3) The new office opens on the first "
      "of March; everyone should pack their desks the Friday before. (4) Questions about holidays go to "
      "the office manager, not to the finance team.\n\n"
      "Water boils at 100 degrees Celsius at sea level, but at lower temperatures on high mountains, "
      "because the air pressure is lower. That is why cooking pasta in the Alps takes longer. Salt raises "
      "the boiling point only a little; cooks add it for taste, not for speed.\n\n"
      "She opened the letter slowly. It was short: three lines, a signature, and a date from twenty years "
      "ago. Somebody had kept it in a drawer all this time, waiting for the right moment to send it. She "
      "read it twice, then a third time, and then she laughed, because she finally understood the joke.\n";
  return text;
}

}  // namespace rwkv_edge::planner
